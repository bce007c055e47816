"""Phrase banks the simulated records are made of: real sentences in eight languages, names, places.

Titles and abstracts are parallel: `TITLES[lang][k]` and `ABSTRACTS[lang][k]` describe topic
`TOPICS[k]` in every language, so a record can carry a real translation of its title. The
sentences are long enough for language detection to be reliable. Organisations and funders are
fictional (their ROR ids are generated, with valid checksums); places and coordinates are real.
"""

from __future__ import annotations

from typing import NamedTuple


class Topic(NamedTuple):
    key: str
    keywords: tuple[str, ...]  # English free-text subjects
    fos: str  # OECD Fields of Science and Technology label


TOPICS = (
    Topic("climate", ("rainfall", "air temperature", "weather stations", "climate variability"),
          "FOS: Earth and related environmental sciences"),
    Topic("soil", ("soil organic carbon", "soil moisture", "smallholder farming", "land management"),
          "FOS: Agriculture, forestry, and fisheries"),
    Topic("health", ("malaria", "child nutrition", "household survey", "public health"),
          "FOS: Health sciences"),
    Topic("oceans", ("sea surface temperature", "coral reefs", "marine heatwaves", "fisheries"),
          "FOS: Earth and related environmental sciences"),
    Topic("water", ("groundwater", "drinking water quality", "boreholes", "hydrogeology"),
          "FOS: Environmental engineering"),
    Topic("biodiversity", ("birds", "pollinators", "protected areas", "species richness"),
          "FOS: Biological sciences"),
    Topic("agriculture", ("maize", "cassava", "drought tolerance", "crop yield"),
          "FOS: Agriculture, forestry, and fisheries"),
    Topic("air", ("air quality", "PM2.5", "low-cost sensors", "urban health"),
          "FOS: Environmental engineering"),
)

TITLES: dict[str, tuple[str, ...]] = {
    "en": (
        "Daily rainfall and air temperature records from automatic weather stations in East Africa",
        "Soil organic carbon and moisture measurements from smallholder farms",
        "Household survey on malaria prevention and child nutrition in rural districts",
        "Sea surface temperature and coral reef health along the tropical coast",
        "Groundwater levels and drinking water quality in rural boreholes",
        "Bird and pollinator species counts in protected areas and nearby farmland",
        "Maize and cassava yields of drought-tolerant varieties in farmer-managed trials",
        "Fine particulate matter measured by low-cost air quality sensors in a growing city",
    ),
    "fr": (
        "Relevés quotidiens des précipitations et de la température de l'air issus de stations "
        "météorologiques automatiques en Afrique de l'Est",
        "Mesures du carbone organique et de l'humidité des sols dans de petites exploitations "
        "agricoles",
        "Enquête auprès des ménages sur la prévention du paludisme et la nutrition des enfants "
        "dans les districts ruraux",
        "Température de surface de la mer et santé des récifs coralliens le long de la côte "
        "tropicale",
        "Niveaux des nappes souterraines et qualité de l'eau potable dans les forages ruraux",
        "Comptages d'oiseaux et d'insectes pollinisateurs dans les aires protégées et les terres "
        "agricoles voisines",
        "Rendements du maïs et du manioc de variétés tolérantes à la sécheresse dans des essais "
        "conduits par les agriculteurs",
        "Particules fines mesurées par des capteurs de qualité de l'air à bas coût dans une ville "
        "en pleine croissance",
    ),
    "es": (
        "Registros diarios de precipitación y temperatura del aire de estaciones meteorológicas "
        "automáticas en África oriental",
        "Mediciones de carbono orgánico y humedad del suelo en pequeñas fincas agrícolas",
        "Encuesta de hogares sobre la prevención de la malaria y la nutrición infantil en los "
        "distritos rurales",
        "Temperatura superficial del mar y estado de los arrecifes de coral a lo largo de la "
        "costa tropical",
        "Niveles del agua subterránea y calidad del agua potable en los pozos rurales",
        "Conteos de aves y polinizadores en las áreas protegidas y las tierras agrícolas cercanas",
        "Rendimientos de maíz y yuca de variedades tolerantes a la sequía en ensayos manejados "
        "por los agricultores",
        "Material particulado fino medido con sensores de bajo costo de la calidad del aire en "
        "una ciudad en crecimiento",
    ),
    "pt": (
        "Registros diários de precipitação e temperatura do ar de estações meteorológicas "
        "automáticas na África Oriental",
        "Medições de carbono orgânico e umidade do solo em pequenas propriedades rurais",
        "Inquérito domiciliar sobre a prevenção da malária e a nutrição infantil nos distritos "
        "rurais",
        "Temperatura da superfície do mar e saúde dos recifes de coral ao longo da costa tropical",
        "Níveis de água subterrânea e qualidade da água potável em poços rurais",
        "Contagens de aves e polinizadores em áreas protegidas e nas terras agrícolas vizinhas",
        "Produtividade de milho e mandioca de variedades tolerantes à seca em ensaios conduzidos "
        "pelos agricultores",
        "Material particulado fino medido por sensores de baixo custo da qualidade do ar numa "
        "cidade em crescimento",
    ),
    "sw": (
        "Kumbukumbu za kila siku za mvua na joto la hewa kutoka vituo vya hali ya hewa vya "
        "kiotomatiki katika Afrika Mashariki",
        "Vipimo vya kaboni hai na unyevu wa udongo kutoka mashamba ya wakulima wadogo",
        "Utafiti wa kaya kuhusu kinga ya malaria na lishe ya watoto katika wilaya za vijijini",
        "Joto la uso wa bahari na afya ya miamba ya matumbawe kando ya pwani ya kitropiki",
        "Viwango vya maji ya chini ya ardhi na ubora wa maji ya kunywa katika visima vya vijijini",
        "Hesabu za ndege na wadudu wachavushaji katika maeneo yaliyohifadhiwa na mashamba jirani",
        "Mavuno ya mahindi na mihogo ya aina zinazostahimili ukame katika majaribio "
        "yanayosimamiwa na wakulima",
        "Chembechembe ndogo za vumbi zilizopimwa na vihisi vya gharama nafuu vya ubora wa hewa "
        "katika jiji linalokua",
    ),
    "zh": (
        "东非自动气象站逐日降水量与气温观测记录",
        "小农户农田土壤有机碳与土壤水分测量数据",
        "农村地区疟疾预防与儿童营养家庭调查",
        "热带沿海海表温度与珊瑚礁健康状况监测",
        "农村地区的地下水位与饮用水质量监测记录",
        "保护区及周边农田鸟类与传粉昆虫数量调查",
        "农户管理试验中耐旱玉米和木薯品种的产量数据",
        "快速发展城市中低成本空气质量传感器测量的细颗粒物数据",
    ),
    "ar": (
        "سجلات يومية لهطول الأمطار ودرجة حرارة الهواء من محطات الأرصاد الجوية الآلية في شرق أفريقيا",
        "قياسات الكربون العضوي ورطوبة التربة في المزارع الصغيرة",
        "مسح أسري حول الوقاية من الملاريا وتغذية الأطفال في المناطق الريفية",
        "درجة حرارة سطح البحر وصحة الشعاب المرجانية على طول الساحل الاستوائي",
        "مستويات المياه الجوفية وجودة مياه الشرب في الآبار الريفية",
        "تعداد الطيور والملقحات في المناطق المحمية والأراضي الزراعية المجاورة",
        "غلة أصناف الذرة والكسافا المتحملة للجفاف في تجارب يديرها المزارعون",
        "الجسيمات الدقيقة المقاسة بأجهزة استشعار منخفضة التكلفة لجودة الهواء في مدينة سريعة النمو",
    ),
    "ru": (
        "Ежедневные данные об осадках и температуре воздуха с автоматических метеостанций "
        "Восточной Африки",
        "Измерения органического углерода и влажности почвы на небольших фермерских хозяйствах",
        "Обследование домохозяйств о профилактике малярии и питании детей в сельских районах",
        "Температура поверхности моря и состояние коралловых рифов вдоль тропического побережья",
        "Уровень подземных вод и качество питьевой воды в сельских скважинах",
        "Учёты птиц и опылителей на охраняемых территориях и соседних сельскохозяйственных "
        "угодьях",
        "Урожайность засухоустойчивых сортов кукурузы и маниоки в опытах, проводимых фермерами",
        "Мелкодисперсные частицы, измеренные недорогими датчиками качества воздуха в растущем "
        "городе",
    ),
}

ABSTRACTS: dict[str, tuple[str, ...]] = {
    "en": (
        "This dataset contains daily rainfall totals and minimum and maximum air temperatures "
        "recorded by automatic weather stations over several years. The observations were checked "
        "for gaps and outliers and can be used to study climate variability, drought risk and the "
        "timing of the rainy seasons.",
        "Soil samples were collected at three depths on smallholder farms and analysed for organic "
        "carbon, nitrogen and texture. Volumetric soil moisture was measured every week with "
        "portable sensors to understand how land management affects soil health and water "
        "retention.",
        "The survey interviewed households about the use of insecticide-treated bed nets, access "
        "to health facilities and the diet of children under five years of age. The anonymised "
        "responses support research on malaria prevention and on the causes of child malnutrition "
        "in rural communities.",
        "Divers and moored loggers recorded sea surface temperature, coral cover and signs of "
        "bleaching at reef sites along the coast. The data help scientists understand how marine "
        "heatwaves affect coral reefs and the fisheries that coastal communities depend on.",
        "Water levels were measured monthly in community boreholes, and samples were tested for "
        "nitrate, fluoride and bacterial contamination. The records show how groundwater responds "
        "to rainfall and pumping and where drinking water does not meet the national quality "
        "standards.",
        "Trained volunteers counted birds, bees and butterflies along fixed transects in protected "
        "areas and on the farmland around them. The counts are used to compare species richness "
        "between habitats and to track changes in biodiversity over time.",
        "Farmers planted drought-tolerant and local varieties of maize and cassava side by side "
        "and recorded planting dates, rainfall, pests and harvested yield. The trials show which "
        "varieties perform best when the rains fail and help extension services advise farmers.",
        "A network of low-cost sensors measured fine particulate matter, temperature and humidity "
        "every ten minutes at schools, markets and busy roads. The measurements were calibrated "
        "against a reference monitor and reveal where and when residents are exposed to unhealthy "
        "air.",
    ),
    "fr": (
        "Ce jeu de données contient les cumuls journaliers de pluie ainsi que les températures "
        "minimales et maximales de l'air enregistrés par des stations météorologiques "
        "automatiques pendant plusieurs années. Les observations ont été contrôlées pour repérer "
        "les lacunes et les valeurs aberrantes et permettent d'étudier la variabilité du climat, "
        "le risque de sécheresse et le calendrier des saisons des pluies.",
        "Des échantillons de sol ont été prélevés à trois profondeurs dans de petites "
        "exploitations agricoles et analysés pour le carbone organique, l'azote et la texture. "
        "L'humidité volumique du sol a été mesurée chaque semaine avec des capteurs portables afin "
        "de comprendre comment la gestion des terres influence la santé des sols et leur capacité "
        "à retenir l'eau.",
        "L'enquête a interrogé les ménages sur l'utilisation des moustiquaires imprégnées "
        "d'insecticide, l'accès aux centres de santé et l'alimentation des enfants de moins de "
        "cinq ans. Les réponses anonymisées soutiennent la recherche sur la prévention du "
        "paludisme et sur les causes de la malnutrition infantile dans les communautés rurales.",
        "Des plongeurs et des enregistreurs ancrés ont mesuré la température de surface de la mer, "
        "la couverture corallienne et les signes de blanchissement sur plusieurs sites récifaux "
        "le long de la côte. Ces données aident les scientifiques à comprendre comment les vagues "
        "de chaleur marines affectent les récifs coralliens et les pêcheries dont dépendent les "
        "communautés côtières.",
        "Le niveau de l'eau a été mesuré chaque mois dans les forages communautaires et des "
        "échantillons ont été analysés pour les nitrates, le fluorure et la contamination "
        "bactérienne. Les relevés montrent comment la nappe réagit aux pluies et aux pompages, et "
        "où l'eau potable ne respecte pas les normes nationales de qualité.",
        "Des bénévoles formés ont compté les oiseaux, les abeilles et les papillons le long de "
        "transects fixes dans les aires protégées et sur les terres agricoles qui les entourent. "
        "Ces comptages servent à comparer la richesse en espèces entre les habitats et à suivre "
        "l'évolution de la biodiversité au fil du temps.",
        "Les agriculteurs ont semé côte à côte des variétés locales et des variétés de maïs et de "
        "manioc tolérantes à la sécheresse, puis ont noté les dates de semis, la pluie, les "
        "ravageurs et le rendement récolté. Les essais montrent quelles variétés donnent les "
        "meilleurs résultats quand les pluies manquent et aident les services de vulgarisation à "
        "conseiller les agriculteurs.",
        "Un réseau de capteurs à bas coût a mesuré les particules fines, la température et "
        "l'humidité toutes les dix minutes près des écoles, des marchés et des routes très "
        "fréquentées. Les mesures ont été étalonnées avec un appareil de référence et révèlent où "
        "et quand les habitants sont exposés à un air malsain.",
    ),
    "es": (
        "Este conjunto de datos contiene la precipitación diaria y las temperaturas mínimas y "
        "máximas del aire registradas por estaciones meteorológicas automáticas durante varios "
        "años. Las observaciones fueron revisadas para detectar vacíos y valores atípicos y "
        "permiten estudiar la variabilidad del clima, el riesgo de sequía y el inicio de la "
        "temporada de lluvias.",
        "Se tomaron muestras de suelo a tres profundidades en pequeñas fincas y se analizaron el "
        "carbono orgánico, el nitrógeno y la textura. La humedad volumétrica del suelo se midió "
        "cada semana con sensores portátiles para entender cómo el manejo de la tierra afecta la "
        "salud del suelo y su capacidad de retener agua.",
        "La encuesta preguntó a los hogares sobre el uso de mosquiteros tratados con insecticida, "
        "el acceso a los centros de salud y la alimentación de los niños menores de cinco años. "
        "Las respuestas anonimizadas apoyan la investigación sobre la prevención de la malaria y "
        "las causas de la desnutrición infantil en las comunidades rurales.",
        "Buzos y registradores fijos midieron la temperatura superficial del mar, la cobertura de "
        "coral y los signos de blanqueamiento en varios arrecifes de la costa. Los datos ayudan a "
        "los científicos a entender cómo las olas de calor marinas afectan a los arrecifes de "
        "coral y a las pesquerías de las que dependen las comunidades costeras.",
        "El nivel del agua se midió cada mes en pozos comunitarios y se analizaron muestras para "
        "detectar nitratos, fluoruro y contaminación bacteriana. Los registros muestran cómo "
        "responde el acuífero a las lluvias y al bombeo, y dónde el agua potable no cumple las "
        "normas nacionales de calidad.",
        "Voluntarios capacitados contaron aves, abejas y mariposas a lo largo de transectos fijos "
        "dentro de las áreas protegidas y en las tierras agrícolas que las rodean. Los conteos se "
        "utilizan para comparar la riqueza de especies entre hábitats y para seguir los cambios "
        "de la biodiversidad a lo largo del tiempo.",
        "Los agricultores sembraron lado a lado variedades locales y variedades de maíz y yuca "
        "tolerantes a la sequía, y anotaron las fechas de siembra, la lluvia, las plagas y la "
        "cosecha obtenida. Los ensayos muestran qué variedades rinden mejor cuando faltan las "
        "lluvias y ayudan a los servicios de extensión a aconsejar a los agricultores.",
        "Una red de sensores de bajo costo midió el material particulado fino, la temperatura y la "
        "humedad cada diez minutos cerca de escuelas, mercados y calles muy transitadas. Las "
        "mediciones se calibraron con un equipo de referencia y muestran dónde y cuándo los "
        "habitantes respiran un aire perjudicial para la salud.",
    ),
    "pt": (
        "Este conjunto de dados contém a precipitação diária e as temperaturas mínimas e máximas "
        "do ar registradas por estações meteorológicas automáticas ao longo de vários anos. As "
        "observações foram verificadas quanto a falhas e valores discrepantes e permitem estudar "
        "a variabilidade do clima, o risco de seca e o início da estação chuvosa.",
        "Amostras de solo foram coletadas em três profundidades em pequenas propriedades e "
        "analisadas quanto ao carbono orgânico, ao nitrogênio e à textura. A umidade volumétrica "
        "do solo foi medida todas as semanas com sensores portáteis para compreender como o "
        "manejo da terra afeta a saúde do solo e a sua capacidade de reter água.",
        "O inquérito entrevistou as famílias sobre o uso de mosquiteiros tratados com inseticida, "
        "o acesso às unidades de saúde e a alimentação das crianças com menos de cinco anos. As "
        "respostas anonimizadas apoiam a pesquisa sobre a prevenção da malária e sobre as causas "
        "da desnutrição infantil nas comunidades rurais.",
        "Mergulhadores e registradores fixos mediram a temperatura da superfície do mar, a "
        "cobertura de corais e os sinais de branqueamento em vários recifes da costa. Os dados "
        "ajudam os cientistas a compreender como as ondas de calor marinhas afetam os recifes de "
        "coral e a pesca da qual dependem as comunidades costeiras.",
        "O nível da água foi medido todos os meses em poços comunitários e as amostras foram "
        "analisadas quanto a nitratos, fluoreto e contaminação bacteriana. Os registros mostram "
        "como o aquífero responde às chuvas e ao bombeamento e onde a água potável não cumpre os "
        "padrões nacionais de qualidade.",
        "Voluntários treinados contaram aves, abelhas e borboletas ao longo de transectos fixos "
        "nas áreas protegidas e nas terras agrícolas que as rodeiam. As contagens são usadas para "
        "comparar a riqueza de espécies entre habitats e para acompanhar as mudanças da "
        "biodiversidade ao longo do tempo.",
        "Os agricultores plantaram lado a lado variedades locais e variedades de milho e mandioca "
        "tolerantes à seca e anotaram as datas de plantio, a chuva, as pragas e a colheita "
        "obtida. Os ensaios mostram quais variedades produzem mais quando as chuvas falham e "
        "ajudam os serviços de extensão rural a orientar os agricultores.",
        "Uma rede de sensores de baixo custo mediu o material particulado fino, a temperatura e a "
        "umidade a cada dez minutos perto de escolas, mercados e ruas movimentadas. As medições "
        "foram calibradas com um equipamento de referência e revelam onde e quando os moradores "
        "estão expostos a um ar prejudicial à saúde.",
    ),
    "sw": (
        "Mkusanyiko huu wa data una kiasi cha mvua cha kila siku pamoja na viwango vya chini na "
        "vya juu vya joto la hewa vilivyorekodiwa na vituo vya hali ya hewa vya kiotomatiki kwa "
        "miaka kadhaa. Uchunguzi ulikaguliwa ili kubaini mapengo na thamani zisizo za kawaida, na "
        "unaweza kutumika kuchunguza mabadiliko ya tabianchi, hatari ya ukame na wakati wa kuanza "
        "kwa msimu wa mvua.",
        "Sampuli za udongo zilichukuliwa katika kina tatu kwenye mashamba ya wakulima wadogo na "
        "kuchambuliwa kwa kaboni hai, naitrojeni na umbile la udongo. Unyevu wa udongo ulipimwa "
        "kila wiki kwa kutumia vifaa vinavyobebeka ili kuelewa jinsi usimamizi wa ardhi "
        "unavyoathiri afya ya udongo na uwezo wake wa kuhifadhi maji.",
        "Utafiti huu uliwauliza wanakaya kuhusu matumizi ya vyandarua vilivyowekwa dawa, "
        "upatikanaji wa huduma za afya na chakula cha watoto walio chini ya umri wa miaka mitano. "
        "Majibu yaliyofichwa utambulisho yanasaidia utafiti kuhusu kinga ya malaria na sababu za "
        "utapiamlo wa watoto katika jamii za vijijini.",
        "Wapiga mbizi na vifaa vilivyowekwa baharini walipima joto la uso wa bahari, kiasi cha "
        "matumbawe na dalili za kupauka kwa matumbawe katika maeneo kadhaa ya miamba kando ya "
        "pwani. Data hizi zinawasaidia wanasayansi kuelewa jinsi mawimbi ya joto baharini "
        "yanavyoathiri miamba ya matumbawe na uvuvi ambao jamii za pwani zinautegemea.",
        "Kina cha maji kilipimwa kila mwezi katika visima vya jamii, na sampuli zilipimwa ili "
        "kugundua nitrati, floridi na uchafuzi wa bakteria. Kumbukumbu hizi zinaonyesha jinsi "
        "maji ya chini ya ardhi yanavyobadilika kutokana na mvua na usukumaji, na mahali ambapo "
        "maji ya kunywa hayafikii viwango vya ubora vya kitaifa.",
        "Wajitolea waliopata mafunzo walihesabu ndege, nyuki na vipepeo kando ya njia maalum "
        "ndani ya maeneo yaliyohifadhiwa na katika mashamba yanayoyazunguka. Hesabu hizi "
        "zinatumika kulinganisha wingi wa spishi kati ya makazi tofauti na kufuatilia mabadiliko "
        "ya bioanuwai kwa muda.",
        "Wakulima walipanda kando kwa kando aina za kienyeji na aina za mahindi na mihogo "
        "zinazostahimili ukame, kisha wakaandika tarehe za kupanda, kiasi cha mvua, wadudu "
        "waharibifu na mavuno yaliyopatikana. Majaribio haya yanaonyesha ni aina gani "
        "zinazofanya vizuri zaidi mvua zinapokosekana na yanawasaidia maafisa ugani kuwashauri "
        "wakulima.",
        "Mtandao wa vihisi vya gharama nafuu ulipima chembechembe ndogo za vumbi, joto na unyevu "
        "kila baada ya dakika kumi karibu na shule, masoko na barabara zenye msongamano. Vipimo "
        "hivi vililinganishwa na kifaa cha marejeo na vinaonyesha ni wapi na lini wakazi "
        "wanavuta hewa isiyo salama kwa afya.",
    ),
    "zh": (
        "本数据集包含多个自动气象站多年记录的逐日降水量以及每日最低和最高气温。观测数据经过缺测和异常值"
        "检查，可用于研究气候变率、干旱风险以及雨季开始的时间。",
        "本数据集是在小农户的农田中收集的土壤数据。研究人员在三个不同深度采集了土壤样品，并分析了其中的有机"
        "碳、氮和土壤质地。我们每周使用便携式传感器测量土壤的体积含水量，以便了解土地管理方式是如何影响土壤"
        "健康和保水能力的。",
        "该调查询问了家庭使用驱虫蚊帐的情况、获得医疗服务的途径以及五岁以下儿童的饮食。匿名化的回答支持"
        "关于疟疾预防和农村社区儿童营养不良原因的研究。",
        "潜水员和锚定记录仪在沿海多个珊瑚礁站点测量了海表温度、珊瑚覆盖率和白化迹象。这些数据帮助科学家"
        "了解海洋热浪如何影响珊瑚礁以及沿海社区赖以生存的渔业。",
        "研究人员每月测量社区水井的水位，并检测水样中的硝酸盐、氟化物和细菌污染。这些记录显示了地下水如何"
        "响应降雨和抽水，以及哪些地方的饮用水未达到国家水质标准。",
        "经过培训的志愿者沿固定样线在保护区内及其周边农田中统计鸟类、蜜蜂和蝴蝶的数量。这些数据用于比较"
        "不同生境之间的物种丰富度，并追踪生物多样性随时间的变化。",
        "农户将耐旱品种与当地品种的玉米和木薯并排种植，并记录了播种日期、降雨、病虫害和收获产量。试验结果"
        "表明在降雨不足时哪些品种表现最好，并帮助农技推广人员为农民提供建议。",
        "由低成本传感器组成的监测网络每十分钟在学校、市场和繁忙道路附近测量一次细颗粒物浓度、温度和湿度。"
        "测量数据已与参考监测仪进行校准，揭示了居民在何时何地暴露于不健康的空气中。",
    ),
    "ar": (
        "تحتوي مجموعة البيانات هذه على كميات الأمطار اليومية ودرجات حرارة الهواء الدنيا والقصوى التي "
        "سجلتها محطات الأرصاد الجوية الآلية على مدى عدة سنوات. وقد تم فحص الملاحظات للكشف عن الفجوات "
        "والقيم الشاذة، ويمكن استخدامها لدراسة تقلب المناخ وخطر الجفاف وموعد بداية موسم الأمطار.",
        "جمعت عينات التربة من ثلاثة أعماق في مزارع صغار المزارعين وحللت لتحديد الكربون العضوي "
        "والنيتروجين وقوام التربة. وقيست الرطوبة الحجمية للتربة كل أسبوع بأجهزة استشعار محمولة لفهم "
        "كيفية تأثير إدارة الأراضي على صحة التربة وقدرتها على الاحتفاظ بالماء.",
        "سأل المسح الأسر عن استخدام الناموسيات المعالجة بالمبيدات الحشرية، وإمكانية الوصول إلى المرافق "
        "الصحية، وغذاء الأطفال دون سن الخامسة. وتدعم الإجابات مجهولة الهوية الأبحاث حول الوقاية من "
        "الملاريا وأسباب سوء تغذية الأطفال في المجتمعات الريفية.",
        "قاس الغواصون وأجهزة التسجيل المثبتة درجة حرارة سطح البحر ونسبة الغطاء المرجاني وعلامات ابيضاض "
        "المرجان في عدة مواقع للشعاب على طول الساحل. وتساعد هذه البيانات العلماء على فهم كيفية تأثير "
        "موجات الحر البحرية على الشعاب المرجانية ومصايد الأسماك التي تعتمد عليها المجتمعات الساحلية.",
        "قيس منسوب المياه شهريا في آبار المجتمعات المحلية، وفحصت العينات للكشف عن النترات والفلوريد "
        "والتلوث البكتيري. وتبين السجلات كيف تستجيب المياه الجوفية للأمطار والضخ، والأماكن التي لا "
        "تستوفي فيها مياه الشرب معايير الجودة الوطنية.",
        "أحصى متطوعون مدربون الطيور والنحل والفراشات على طول مسارات ثابتة داخل المناطق المحمية وفي "
        "الأراضي الزراعية المحيطة بها. وتستخدم هذه الأعداد لمقارنة ثراء الأنواع بين الموائل المختلفة "
        "ولتتبع التغيرات في التنوع البيولوجي بمرور الوقت.",
        "زرع المزارعون أصنافا محلية وأصنافا من الذرة والكسافا متحملة للجفاف جنبا إلى جنب، وسجلوا مواعيد "
        "الزراعة وكميات الأمطار والآفات والمحصول الناتج. وتبين التجارب الأصناف التي تعطي أفضل النتائج "
        "عند انحباس الأمطار، وتساعد خدمات الإرشاد الزراعي على تقديم النصح للمزارعين.",
        "قامت شبكة من أجهزة الاستشعار منخفضة التكلفة بقياس الجسيمات الدقيقة ودرجة الحرارة والرطوبة كل "
        "عشر دقائق بالقرب من المدارس والأسواق والطرق المزدحمة. وجرت معايرة القياسات بجهاز مرجعي، وهي "
        "تكشف أين ومتى يتعرض السكان لهواء غير صحي.",
    ),
    "ru": (
        "Набор данных содержит суточные суммы осадков, а также минимальную и максимальную "
        "температуру воздуха, зарегистрированные автоматическими метеостанциями за несколько лет. "
        "Наблюдения проверены на пропуски и выбросы и могут использоваться для изучения "
        "изменчивости климата, риска засухи и сроков наступления сезона дождей.",
        "Образцы почвы были отобраны на трёх глубинах в небольших фермерских хозяйствах и "
        "проанализированы на содержание органического углерода, азота и гранулометрический "
        "состав. Объёмная влажность почвы измерялась каждую неделю портативными датчиками, чтобы "
        "понять, как землепользование влияет на здоровье почвы и её способность удерживать воду.",
        "В ходе обследования домохозяйства опрашивали об использовании обработанных инсектицидом "
        "противомоскитных сеток, доступе к медицинским учреждениям и питании детей младше пяти "
        "лет. Обезличенные ответы помогают исследованиям профилактики малярии и причин "
        "недоедания у детей в сельских общинах.",
        "Водолазы и заякоренные регистраторы измеряли температуру поверхности моря, покрытие "
        "кораллами и признаки обесцвечивания на нескольких рифах вдоль побережья. Эти данные "
        "помогают учёным понять, как морские волны жары влияют на коралловые рифы и рыболовство, "
        "от которого зависят прибрежные общины.",
        "Уровень воды ежемесячно измеряли в общинных скважинах, а пробы проверяли на нитраты, "
        "фториды и бактериальное загрязнение. Записи показывают, как подземные воды реагируют на "
        "дожди и откачку и где питьевая вода не соответствует национальным стандартам качества.",
        "Обученные волонтёры подсчитывали птиц, пчёл и бабочек вдоль постоянных маршрутов на "
        "охраняемых территориях и на окружающих их сельскохозяйственных угодьях. Результаты "
        "учётов используются для сравнения видового богатства разных местообитаний и для "
        "отслеживания изменений биоразнообразия во времени.",
        "Фермеры высаживали рядом местные и засухоустойчивые сорта кукурузы и маниоки и "
        "записывали даты посадки, количество осадков, вредителей и полученный урожай. Опыты "
        "показывают, какие сорта дают лучший результат при недостатке дождей, и помогают "
        "консультантам давать советы фермерам.",
        "Сеть недорогих датчиков каждые десять минут измеряла концентрацию мелкодисперсных "
        "частиц, температуру и влажность возле школ, рынков и оживлённых дорог. Измерения "
        "откалиброваны по эталонному прибору и показывают, где и когда жители дышат вредным для "
        "здоровья воздухом.",
    ),
}

# Weighted like a real aggregator's intake: English most often, every language regularly.
LANGUAGE_WHEEL = ("en",) * 6 + ("fr", "fr", "es", "es", "pt", "pt", "sw", "sw", "zh", "ar", "ru")

METHODS_EN = (
    "Data were quality-controlled with documented procedures; units, instruments and the "
    "processing scripts are described in the accompanying README file."
)

PEOPLE = (  # (given name, family name)
    ("Amina", "Okafor"), ("Wanjiru", "Kamau"), ("Tendai", "Moyo"), ("Kwame", "Mensah"),
    ("Fatou", "Diallo"), ("Yohannes", "Tesfaye"), ("Lucía", "Fernández"), ("Mateo", "Rojas"),
    ("Camila", "Souza"), ("João", "Pereira"), ("Wei", "Li"), ("Min", "Zhang"), ("Mei", "Chen"),
    ("Omar", "Haddad"), ("Layla", "Mansour"), ("Youssef", "El Amrani"), ("Olga", "Ivanova"),
    ("Dmitri", "Sokolov"), ("Sophie", "Martin"), ("Chloé", "Dubois"), ("Ngozi", "Adeyemi"),
    ("Hamisi", "Mwangi"), ("Rafael", "Gómez"), ("Ana", "Ribeiro"), ("Siti", "Rahmawati"),
    ("Priya", "Raman"), ("Aroha", "Ngata"), ("Baraka", "Otieno"), ("Nadia", "Benali"),
    ("Thandiwe", "Nkosi"), ("Esperanza", "Quispe"), ("Ivan", "Petrov"),
)

ORGANISATIONS = (  # fictional research organisations
    "East African Climate Data Centre",
    "Sahel Institute for Soil and Water Research",
    "Lake Basin Public Health Laboratory",
    "Western Indian Ocean Marine Observatory",
    "Instituto Andino de Investigación Agrícola",
    "Centro Amazônico de Estudos Ambientais",
    "Institut de Recherche sur les Ressources en Eau du Sahel",
    "Southern African Biodiversity Network",
    "Maghreb Centre for Groundwater Studies",
    "Asian Institute for Urban Air Quality",
    "Siberian Centre for Environmental Monitoring",
    "Great Lakes Agricultural Research Station",
)

FUNDERS = (  # fictional funders
    "Open Science Partnership Fund",
    "African Research Data Foundation",
    "Fondo Regional de Ciencia Abierta",
    "Global Environmental Observation Trust",
    "Fonds Francophone pour la Recherche Durable",
)

AWARD_TITLES = (
    "Open data for climate adaptation",
    "Strengthening research data infrastructures",
    "Community monitoring of natural resources",
    "Evidence for health and nutrition policy",
)

PLACES = (  # (name, latitude, longitude)
    ("Nairobi, Kenya", -1.2864, 36.8172),
    ("Kisumu, Lake Victoria, Kenya", -0.0917, 34.7680),
    ("Zanzibar, Tanzania", -6.1659, 39.2026),
    ("Addis Ababa, Ethiopia", 9.0300, 38.7400),
    ("Dakar, Senegal", 14.7167, -17.4677),
    ("Kumasi, Ghana", 6.6885, -1.6244),
    ("Maputo, Mozambique", -25.9692, 32.5732),
    ("Marrakesh, Morocco", 31.6295, -7.9811),
    ("Lima, Peru", -12.0464, -77.0428),
    ("Manaus, Brazil", -3.1190, -60.0217),
    ("Kunming, China", 25.0389, 102.7183),
    ("Novosibirsk, Russia", 55.0084, 82.9357),
    ("Niamey, Niger", 13.5116, 2.1254),
    ("Quito, Ecuador", -0.1807, -78.4678),
)

LICENCES = (  # (SPDX id, name, URI)
    ("CC-BY-4.0", "Creative Commons Attribution 4.0 International",
     "https://creativecommons.org/licenses/by/4.0/legalcode"),
    ("CC0-1.0", "Creative Commons Zero v1.0 Universal",
     "https://creativecommons.org/publicdomain/zero/1.0/legalcode"),
    ("CC-BY-SA-4.0", "Creative Commons Attribution Share Alike 4.0 International",
     "https://creativecommons.org/licenses/by-sa/4.0/legalcode"),
)

RESOURCE_TYPES = {  # resourceTypeGeneral -> free-text resourceType choices
    "Dataset": ("Observational data", "Survey data", "Time series", "Field measurements"),
    "Text": ("Data report", "Technical report"),
    "Software": ("Processing scripts",),
    "Image": ("Satellite imagery", "Field photographs"),
}

FILE_FORMATS = {
    "Dataset": ("text/csv", "application/x-netcdf", "application/json", "application/zip"),
    "Text": ("application/pdf",),
    "Software": ("text/x-python", "application/zip"),
    "Image": ("image/tiff", "image/png"),
}
