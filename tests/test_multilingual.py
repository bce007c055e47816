"""Many languages, one catalogue: detection, controlled values, and language tags end to end.

Partners write in Chinese, Arabic, Russian, Spanish, French, Portuguese and Swahili as much as in
English. Untagged text gets a language only when detection is confident (and the same answer on
every run); controlled values (resource types, licences, subject schemes) come out the same
whatever vocabulary the partner used; and a record's language variants keep their tags from the
partner's payload through the store and the merge into every export and our OAI-PMH provider.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from lxml import etree
from rdflib import Graph, Literal, Namespace, URIRef

import safexml
from mappers import MapContext, get_mapper
from mappers.normalise import detect_language, languages, normalise_licence, resource_type_general
from pipeline.export import export_catalogue
from pipeline.mapping import map_one
from pipeline.merge import merge_catalogue
from provider import ProviderConfig, ProviderServer
from schemas import Record
from store import Store

ROOT = Path(__file__).resolve().parents[1]
STAMP = datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC)
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# Two sentences each, as a title and the start of an abstract would read.
PARAGRAPHS = {
    "zh": "东非高原小农户土壤有机碳与水分的长期观测数据集。本数据集收录了二〇一〇年至二〇二〇年间在肯尼亚和"
          "坦桑尼亚四十个农场采集的土壤样本，包括有机碳含量、土壤湿度和田间管理记录，可用于评估气候变化对粮食"
          "安全的影响。",
    "ar": "بيانات رصد طويلة الأمد لمستويات المياه الجوفية وجودة مياه الشرب في الآبار الريفية بشمال أفريقيا. "
          "تتضمن هذه المجموعة قياسات شهرية للملوحة والنترات في مئة وعشرين بئراً، وقد جُمعت بالتعاون مع "
          "المجتمعات المحلية لدعم التخطيط المستدام للموارد المائية.",
    "ru": "Многолетние наблюдения за таянием вечной мерзлоты и выбросами метана в тундре Западной "
          "Сибири. Набор данных содержит ежедневные измерения температуры почвы, глубины сезонного "
          "протаивания и потоков парниковых газов, собранные на двенадцати станциях с 2012 по 2022 "
          "год.",
    "es": "Conteos de aves y polinizadores en áreas protegidas y tierras agrícolas cercanas de los "
          "Andes. Los datos fueron recogidos por voluntarios de las comunidades locales durante "
          "cinco temporadas de floración y permiten estudiar cómo la expansión agrícola afecta a la "
          "biodiversidad.",
    "fr": "Niveaux des nappes souterraines et qualité de l'eau potable dans les puits ruraux du "
          "Sahel. Ce jeu de données rassemble des mesures mensuelles de la conductivité et des "
          "nitrates réalisées par les services techniques régionaux afin d'appuyer la gestion "
          "durable de la ressource en eau.",
    "pt": "Medições de carbono orgânico e umidade do solo em pequenas propriedades agrícolas do "
          "semiárido brasileiro. O conjunto de dados reúne amostras coletadas por técnicos de "
          "extensão rural ao longo de oito anos e apoia a avaliação de práticas de manejo que "
          "conservam a água no solo.",
    "sw": "Takwimu za mvua na joto la hewa kutoka vituo vya hali ya hewa vya kiotomatiki katika "
          "Afrika Mashariki. Seti hii ya data inajumuisha vipimo vya kila siku vilivyokusanywa na "
          "wakulima na wataalamu wa kilimo ili kusaidia utabiri wa msimu wa mvua na mipango ya "
          "upandaji mazao.",
}
TRADITIONAL_CHINESE = ("臺灣西部沿海地區地下水位與地層下陷的長期監測資料。資料集包含二十個監測井的每月水位紀錄，"
                       "以及由地方政府與大學研究團隊共同整理的土地利用與抽水量統計。")
# Long enough to be tried, too mixed to be told: langdetect spreads it over it, pt and en.
AMBIGUOUS = "Base de datos / database of rainfall"


def context(metadata_format: str, identifier: str = "rec-1",
            source_id: str = "partner") -> MapContext:
    return MapContext(source_id=source_id, source_identifier=identifier,
                      metadata_format=metadata_format, harvested_at=STAMP, raw_sha256="0" * 64)


def oai_dc(*elements: str) -> Record:
    payload = ('<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
               'xmlns:dc="http://purl.org/dc/elements/1.1/">' + "".join(elements)
               + "</oai_dc:dc>")
    return get_mapper("oai_dc")(payload.encode(), context("oai_dc"))


def ckan(**fields) -> Record:
    package = {"id": "pkg-1", "name": "pkg-1", "title": "Rainfall records", **fields}
    return get_mapper("ckan")(json.dumps(package).encode(), context("ckan"))


TURTLE_PREFIXES = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <http://example.org/> .
"""


def dcat(turtle: str) -> Record:
    graph = Graph().parse(data=TURTLE_PREFIXES + turtle, format="turtle")
    payload = graph.serialize(format="nt", encoding="utf-8")
    return get_mapper("dcat_ap")(payload, context("dcat_ap"))


def codes_at(record: Record, field: str) -> set[str]:
    return {issue.code for issue in record.issues if issue.field == field}


# --- language detection -------------------------------------------------------------------------

@pytest.mark.parametrize(("expected", "text"), PARAGRAPHS.items())
def test_a_paragraph_in_each_partner_language_is_detected(expected, text):
    assert detect_language(text) == expected


def test_traditional_chinese_is_zh_too_not_langdetects_zh_tw():
    assert detect_language(TRADITIONAL_CHINESE) == "zh"


# Languages of the network that langdetect has no profile for; py3langid knows them.
UNKNOWN_TO_LANGDETECT = {
    "ha": "Bayanan ruwan sama da yanayin zafi daga tashoshin yanayi na atomatik a arewacin "
          "Najeriya, wanda manoma suka tattara.",
    "yo": "Àkójọpọ̀ dátà òjò àti ìwọ̀n òtútù láti àwọn ibùdó ojú ọjọ́ ní ìwọ̀ oòrùn Nàìjíríà.",
    "zu": "Idatha yemvula nezinga lokushisa emoyeni evela eziteshini zesimo sezulu "
          "ezizenzakalelayo eNingizimu Afrika.",
}


@pytest.mark.parametrize(("expected", "text"), UNKNOWN_TO_LANGDETECT.items())
def test_languages_langdetect_lacks_are_detected_by_py3langid(expected, text):
    from langdetect import DetectorFactory, detect_langs

    DetectorFactory.seed = 0
    assert detect_langs(text)[0].lang != expected  # langdetect alone gets these wrong
    assert detect_language(text) == expected


def test_where_py3langid_hesitates_langdetect_decides():
    text = "Temperatura da superfície do mar e saúde dos recifes de coral ao longo da costa"
    language, probability = languages._identifier().classify(text)
    assert language == "gl" and probability < languages.SURE  # Galician or Portuguese?
    assert detect_language(text) == "pt"


@pytest.mark.parametrize("text", ["Chemistry", "Open data portal", "Datos 2019–2020", "",
                                  AMBIGUOUS])
def test_short_or_mixed_texts_stay_untagged(text):
    assert detect_language(text) is None


def test_detection_repeats_itself_in_any_order_and_after_the_cache_is_cleared():
    texts = [*PARAGRAPHS.values(), TRADITIONAL_CHINESE, AMBIGUOUS]
    first = [detect_language(t) for t in texts]
    for _ in range(3):
        languages._detect.cache_clear()
        assert [detect_language(t) for t in reversed(texts)] == first[::-1]
    assert first == [*PARAGRAPHS, "zh", None]


def test_detection_gives_the_same_answers_in_a_fresh_interpreter():
    script = ("import json, sys\nfrom mappers.normalise import detect_language\n"
              "texts = json.load(sys.stdin)\n"
              "print(json.dumps([detect_language(t) for t in texts]))\n")
    texts = [*PARAGRAPHS.values(), AMBIGUOUS]
    finished = subprocess.run([sys.executable, "-c", script], input=json.dumps(texts),
                              capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert json.loads(finished.stdout) == [*PARAGRAPHS, None]


def test_an_untagged_abstract_gets_the_detected_tag_and_an_info_issue():
    record = oai_dc(f"<dc:title>{PARAGRAPHS['sw'].split('. ')[0]}</dc:title>",
                    f"<dc:description>{PARAGRAPHS['sw']}</dc:description>")
    assert [d.lang for d in record.descriptions] == ["sw"]
    assert codes_at(record, "descriptions[0].lang") == {"language_detected"}
    assert [i.severity for i in record.issues if i.code == "language_detected"] == ["info"] * 2


def test_a_text_detection_is_unsure_of_stays_untagged_with_an_issue():
    record = oai_dc(f"<dc:title>{AMBIGUOUS}</dc:title>", "<dc:subject>Datos 2019</dc:subject>")
    assert [(t.value, t.lang) for t in record.titles] == [(AMBIGUOUS, None)]
    assert codes_at(record, "titles[0].lang") == {"language_undetected"}
    assert codes_at(record, "subjects[0].lang") == {"language_undetected"}


def test_a_partners_own_tag_wins_over_detection():
    record = oai_dc(f'<dc:title xml:lang="pt-BR">{PARAGRAPHS["pt"]}</dc:title>',
                    f'<dc:description xml:lang="ara">{PARAGRAPHS["ar"]}</dc:description>')
    assert [t.lang for t in record.titles] == ["pt-BR"]
    assert [d.lang for d in record.descriptions] == ["ar"]  # ISO 639-2 normalised, not detected
    assert not any(i.code.startswith("language_") for i in record.issues)


# --- controlled values: resource types --------------------------------------------------------------

@pytest.mark.parametrize(("dc_type", "general"), [
    ("info:eu-repo/semantics/article", "JournalArticle"),
    ("info:eu-repo/semantics/doctoralThesis", "Dissertation"),
    ("Dataset", "Dataset"), ("text", "Text"), ("image", "Image"), ("Image", "Image"),
    ("http://purl.org/dc/dcmitype/StillImage", "Image"),
    ("http://purl.org/coar/resource_type/c_ddb1", "Dataset"),
])
def test_dc_type_values_give_the_resource_type_general(dc_type, general):
    record = oai_dc("<dc:title>Rainfall</dc:title>", f"<dc:type>{dc_type}</dc:type>")
    assert record.resource_type.general == general


@pytest.mark.parametrize(("package_type", "general"), [
    ("dataset", "Dataset"), ("document", "Text"), ("software", "Software"),
    ("application", "Software"), ("image", "Image"),
])
def test_ckan_package_types_give_the_resource_type_general(package_type, general):
    record = ckan(type=package_type)
    assert (record.resource_type.general, record.resource_type.value) == (general, package_type)


def test_an_unknown_ckan_package_type_is_a_dataset_with_a_note():
    record = ckan(type="showcase")
    assert record.resource_type.general == "Dataset"
    assert codes_at(record, "resource_type.general") == {"unknown_resource_type"}


@pytest.mark.parametrize(("iri", "general"), [
    ("http://purl.org/dc/dcmitype/Software", "Software"),
    ("http://purl.org/dc/dcmitype/Collection", "Collection"),
    ("http://publications.europa.eu/resource/authority/resource-type/SOFTWARE", "Software"),
    ("http://publications.europa.eu/resource/authority/resource-type/TEXT", "Text"),
    ("http://publications.europa.eu/resource/authority/resource-type/VIDEO_CLIP", "Audiovisual"),
    ("http://publications.europa.eu/resource/authority/dataset-type/STATISTICAL", "Dataset"),
    ("http://purl.org/coar/resource_type/c_5ce6", "Software"),
])
def test_dcat_dct_type_iris_give_the_resource_type_general(iri, general):
    record = dcat(f"ex:ds a dcat:Dataset ; dct:title \"Rainfall\"@en ; dct:type <{iri}> .")
    assert record.resource_type.general == general
    assert resource_type_general(iri) == general


# --- controlled values: licences -------------------------------------------------------------------

CC_BY_4 = ("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/")


@pytest.mark.parametrize("text", [
    "creativecommons.org/licenses/by/4.0",
    "https://creativecommons.org/licenses/by/4.0/?ref=chooser-v1",
    "https://www.creativecommons.org/licenses/by/4.0/deed.es_ES",
    "https://creativecommons.org/licences/by/4.0/",
    "https://creativecommons.org/licenses/BY/4.0/legalcode.txt",
    "http://spdx.org/licenses/CC-BY-4.0",
    "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
    "Attribution 4.0 International (CC BY 4.0)",
    "Creative Commons Attribution (CC-BY) 4.0",
    "cc_by_4.0",
])
def test_every_spelling_of_cc_by_4_gives_its_spdx_id_and_uri(text):
    assert normalise_licence(text) == CC_BY_4


@pytest.mark.parametrize(("text", "expected"), [
    ("http://www.opendefinition.org/licenses/odc-odbl",
     ("ODbL-1.0", "https://opendatacommons.org/licenses/odbl/1-0/")),
    ("http://www.opendefinition.org/licenses/cc-zero",
     ("CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/")),
    ("https://opendefinition.org/licenses/odc-by/",
     ("ODC-By-1.0", "https://opendatacommons.org/licenses/by/1-0/")),
    # CKAN's cc-by names no version: the page is recognised, no SPDX id is guessed.
    ("http://www.opendefinition.org/licenses/cc-by",
     (None, "https://opendefinition.org/licenses/cc-by/")),
    ("http://publications.europa.eu/resource/authority/licence/CC_BYNCSA_4_0",
     ("CC-BY-NC-SA-4.0", "https://creativecommons.org/licenses/by-nc-sa/4.0/")),
    ("http://publications.europa.eu/resource/authority/licence/ODC_BL",
     ("ODbL-1.0", "https://opendatacommons.org/licenses/odbl/1-0/")),
    ("odc-odbl", ("ODbL-1.0", "https://opendatacommons.org/licenses/odbl/1-0/")),
    ("cc-by", (None, None)),  # versionless: only the CKAN mapper may assume 4.0, with a note
    ("http://publications.europa.eu/resource/authority/licence/COM_REUSE", (None, None)),
])
def test_open_definition_and_eu_licence_iris_and_ckan_ids(text, expected):
    assert normalise_licence(text) == expected


def test_ckan_licence_ids_become_spdx_ids_with_canonical_uris():
    by = ckan(license_id="cc-by", license_title="Creative Commons Attribution",
              license_url="http://www.opendefinition.org/licenses/cc-by")
    assert [(r.spdx_id, r.uri) for r in by.rights] == [CC_BY_4]
    assert codes_at(by, "rights") == {"licence_version_assumed"}
    odbl = ckan(license_id="odc-odbl",
                license_title="Open Data Commons Open Database License (ODbL)",
                license_url="http://www.opendefinition.org/licenses/odc-odbl")
    assert [(r.spdx_id, r.uri, r.statement) for r in odbl.rights] == [
        ("ODbL-1.0", "https://opendatacommons.org/licenses/odbl/1-0/",
         "Open Data Commons Open Database License (ODbL)")]


def test_dcat_licences_from_the_eu_table_and_open_definition_get_spdx_ids():
    record = dcat("""
    ex:ds a dcat:Dataset ; dct:title "Rainfall"@en ;
      dct:license <http://publications.europa.eu/resource/authority/licence/CC_BY_4_0> ;
      dcat:distribution ex:csv .
    ex:csv a dcat:Distribution ; dcat:accessURL <http://example.org/rain.csv> ;
      dct:license <http://www.opendefinition.org/licenses/odc-odbl> .
    """)
    assert [(r.spdx_id, r.uri) for r in record.rights] == [
        CC_BY_4, ("ODbL-1.0", "https://opendatacommons.org/licenses/odbl/1-0/")]
    assert record.distributions[0].spdx_id == "ODbL-1.0"


# --- controlled values: subject schemes ------------------------------------------------------------

def test_oai_dc_classification_subjects_keep_their_scheme_and_code():
    record = oai_dc("<dc:title>Rainfall</dc:title>",
                    "<dc:subject>info:eu-repo/classification/ddc/551.5</dc:subject>",
                    "<dc:subject>info:eu-repo/classification/udc/556.3</dc:subject>",
                    "<dc:subject>ddc:630</dc:subject>",
                    '<dc:subject xml:lang="fr">hydrologie</dc:subject>')
    assert [(s.scheme, s.classification_code, s.lang) for s in record.subjects] == [
        ("DDC", "551.5", None), ("UDC", "556.3", None), ("DDC", "630", None),
        (None, None, "fr")]


def test_datacite_subjects_keep_scheme_uris_code_and_language():
    payload = f"""<resource xmlns="http://datacite.org/schema/kernel-4">
      <identifier identifierType="DOI">10.5555/subjects-1</identifier>
      <titles><title xml:lang="en">Rainfall</title></titles>
      <subjects>
        <subject subjectScheme="Fields of Science and Technology (FOS)"
          schemeURI="http://www.oecd.org/science/inno/38235147.pdf"
          classificationCode="1.5" xml:lang="en">Earth and related environmental sciences</subject>
        <subject subjectScheme="AGROVOC" schemeURI="http://aims.fao.org/aos/agrovoc/"
          valueURI="http://aims.fao.org/aos/agrovoc/c_3394" xml:lang="fr">eau souterraine</subject>
        <subject xml:lang="ar">{"مياه جوفية"}</subject>
      </subjects></resource>"""
    record = get_mapper("datacite")(payload.encode(), context("datacite"))
    assert [(s.value, s.scheme, s.scheme_uri, s.value_uri, s.classification_code, s.lang)
            for s in record.subjects] == [
        ("Earth and related environmental sciences", "Fields of Science and Technology (FOS)",
         "http://www.oecd.org/science/inno/38235147.pdf", None, "1.5", "en"),
        ("eau souterraine", "AGROVOC", "http://aims.fao.org/aos/agrovoc/",
         "http://aims.fao.org/aos/agrovoc/c_3394", None, "fr"),
        ("مياه جوفية", None, None, None, None, "ar")]


def test_ckan_themes_from_known_vocabularies_keep_their_scheme():
    record = ckan(theme=["http://eurovoc.europa.eu/100142",
                         "http://publications.europa.eu/resource/authority/data-theme/ENVI",
                         "Hydrology"])
    assert [(s.value_uri, s.scheme, s.scheme_uri) for s in record.subjects] == [
        ("http://eurovoc.europa.eu/100142", "EuroVoc", "http://eurovoc.europa.eu/100141"),
        ("http://publications.europa.eu/resource/authority/data-theme/ENVI", "EU Data Theme",
         "http://publications.europa.eu/resource/authority/data-theme"),
        (None, None, None)]


def test_dcat_themes_take_the_scheme_their_concept_names():
    record = dcat("""
    ex:ds a dcat:Dataset ; dct:title "Rainfall"@en ;
      dcat:theme <http://aims.fao.org/aos/agrovoc/c_3394> ;
      dcat:keyword "pluie"@fr, "mvua"@sw .
    <http://aims.fao.org/aos/agrovoc/c_3394> skos:prefLabel "groundwater"@en, "مياه جوفية"@ar ;
      skos:inScheme <http://aims.fao.org/aos/agrovoc> .
    <http://aims.fao.org/aos/agrovoc> dct:title "AGROVOC" .
    """)
    assert [(s.value, s.lang, s.scheme, s.scheme_uri) for s in record.subjects] == [
        ("pluie", "fr", None, None), ("mvua", "sw", None, None),
        ("groundwater", "en", "AGROVOC", "http://aims.fao.org/aos/agrovoc"),
        ("مياه جوفية", "ar", "AGROVOC", "http://aims.fao.org/aos/agrovoc")]


# --- end to end: store, merge, every export, the OAI-PMH provider ------------------------------------

DOI = "10.5555/sahel-groundwater-2020"
TITLES = {
    "en": "Groundwater levels and drinking water quality in rural wells of the Sahel",
    "fr": "Niveaux des nappes souterraines et qualité de l'eau potable dans les puits ruraux "
          "du Sahel",
    "ar": "مستويات المياه الجوفية وجودة مياه الشرب في الآبار الريفية في منطقة الساحل",
    "es": "Niveles de las aguas subterráneas y calidad del agua potable en los pozos rurales "
          "del Sahel",
}
ABSTRACTS = {
    "en": "Monthly groundwater levels, conductivity and nitrate concentrations measured in 120 "
          "rural wells between 2015 and 2020, with the field teams' notes.",
    "fr": "Niveaux mensuels des nappes, conductivité et teneurs en nitrates mesurés dans 120 "
          "puits ruraux entre 2015 et 2020, avec les notes des équipes de terrain.",
    "sw": PARAGRAPHS["sw"],
}
SUBJECTS = {"en": "groundwater", "fr": "eaux souterraines", "ar": "مياه جوفية",
            "sw": "maji ya ardhini"}

# The repository's record: English title and abstract, French and Arabic translations.
DATACITE_RECORD = f"""<resource xmlns="http://datacite.org/schema/kernel-4">
  <identifier identifierType="DOI">{DOI}</identifier>
  <creators><creator><creatorName nameType="Personal">Diallo, Aminata</creatorName>
    <givenName>Aminata</givenName><familyName>Diallo</familyName></creator></creators>
  <titles>
    <title xml:lang="en">{TITLES["en"]}</title>
    <title xml:lang="fr" titleType="TranslatedTitle">{TITLES["fr"]}</title>
    <title xml:lang="ar" titleType="TranslatedTitle">{TITLES["ar"]}</title>
  </titles>
  <publisher>Sahel Water Observatory</publisher>
  <publicationYear>2021</publicationYear>
  <resourceType resourceTypeGeneral="Dataset">Field measurements</resourceType>
  <subjects>
    <subject xml:lang="en">{SUBJECTS["en"]}</subject>
    <subject xml:lang="fr">{SUBJECTS["fr"]}</subject>
    <subject xml:lang="ar">{SUBJECTS["ar"]}</subject>
    <subject subjectScheme="Fields of Science and Technology (FOS)" classificationCode="1.5"
      schemeURI="http://www.oecd.org/science/inno/38235147.pdf"
      xml:lang="en">Earth and related environmental sciences</subject>
  </subjects>
  <language>en</language>
  <rightsList><rights rightsURI="https://creativecommons.org/licenses/by/4.0/"/></rightsList>
  <descriptions>
    <description descriptionType="Abstract" xml:lang="en">{ABSTRACTS["en"]}</description>
    <description descriptionType="Abstract" xml:lang="fr">{ABSTRACTS["fr"]}</description>
  </descriptions>
</resource>"""
# A second partner's record of the same dataset: a Spanish title, an untagged Swahili abstract.
OAI_DC_RECORD = f"""<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
    xmlns:dc="http://purl.org/dc/elements/1.1/">
  <dc:title xml:lang="es">{TITLES["es"]}</dc:title>
  <dc:creator>Diallo, Aminata</dc:creator>
  <dc:subject xml:lang="sw">{SUBJECTS["sw"]}</dc:subject>
  <dc:description>{ABSTRACTS["sw"]}</dc:description>
  <dc:publisher>Sahel Water Observatory</dc:publisher>
  <dc:date>2021</dc:date>
  <dc:type>Dataset</dc:type>
  <dc:identifier>https://doi.org/{DOI}</dc:identifier>
</oai_dc:dc>"""

EXPECTED_TITLES = {(TITLES[lang], lang) for lang in ("en", "fr", "ar", "es")}
EXPECTED_ABSTRACTS = {(ABSTRACTS[lang], lang) for lang in ("en", "fr", "sw")}
EXPECTED_SUBJECTS = {(SUBJECTS[lang], lang) for lang in SUBJECTS}


def stored(store: Store, source_id: str, metadata_format: str, payload: str) -> None:
    body = payload.encode()
    row = map_one(source_id=source_id, identifier=f"oai:{source_id}:1",
                  metadata_format=metadata_format, payload=body, deleted=False,
                  datestamp=STAMP, sha256=hashlib.sha256(body).hexdigest(), harvested_at=STAMP)
    assert row.mapping_error is None
    store.write_mapped(source_id, [row])


@pytest.fixture
def catalogue(sqlite_url) -> Store:
    store = Store.open(sqlite_url)
    stored(store, "repository", "datacite", DATACITE_RECORD)
    stored(store, "portal", "oai_dc", OAI_DC_RECORD)
    report = merge_catalogue(store, {"repository": 10, "portal": 5})
    assert report.clusters == 1  # one dataset, described by both partners
    yield store
    store.close()


def exported(store: Store, fmt: str, tmp_path: Path) -> str:
    out = tmp_path / f"catalogue.{fmt}"
    assert export_catalogue(store, fmt, out, progress=False) == 1
    return out.read_text(encoding="utf-8")


def tagged(elements) -> set[tuple[str, str | None]]:
    return {(" ".join(e.text.split()), e.get(XML_LANG)) for e in elements}


def assert_datacite_resource(resource: etree._Element) -> None:
    ns = {"d": "http://datacite.org/schema/kernel-4"}
    assert tagged(resource.iterfind("d:titles/d:title", ns)) == EXPECTED_TITLES
    assert tagged(resource.iterfind("d:descriptions/d:description", ns)) == EXPECTED_ABSTRACTS
    subjects = resource.findall("d:subjects/d:subject", ns)
    assert EXPECTED_SUBJECTS <= tagged(subjects)
    fos = next(s for s in subjects if s.get("subjectScheme"))
    assert (fos.get("subjectScheme"), fos.get("classificationCode"), fos.get(XML_LANG)) == (
        "Fields of Science and Technology (FOS)", "1.5", "en")
    main = resource.find("d:titles/d:title", ns)
    assert (main.get(XML_LANG), main.get("titleType")) == ("en", None)


def test_language_variants_keep_their_tags_through_merge_and_every_export(catalogue, tmp_path):
    # JSON Lines: the merged record as stored.
    (line,) = map(json.loads, exported(catalogue, "jsonl", tmp_path).splitlines())
    record = line["record"]
    assert line["sources"] == ["repository", "portal"]
    assert {(t["value"], t.get("lang")) for t in record["titles"]} == EXPECTED_TITLES
    assert record["titles"][0] == {"value": TITLES["en"], "lang": "en"}  # the main title leads
    assert {(d["value"], d.get("lang")) for d in record["descriptions"]} == EXPECTED_ABSTRACTS
    assert EXPECTED_SUBJECTS <= {(s["value"], s.get("lang")) for s in record["subjects"]}
    assert any(s.get("scheme") == "Fields of Science and Technology (FOS)"
               for s in record["subjects"])

    # DataCite XML: xml:lang on every title, description and subject.
    root = safexml.parse(exported(catalogue, "datacite-xml", tmp_path).encode())
    (resource,) = root.iter("{http://datacite.org/schema/kernel-4}resource")
    assert_datacite_resource(resource)

    # DCAT-AP Turtle: language-tagged literals.
    graph = Graph().parse(data=exported(catalogue, "dcat-ttl", tmp_path), format="turtle")
    dct = Namespace("http://purl.org/dc/terms/")
    dcat_ns = Namespace("http://www.w3.org/ns/dcat#")
    (dataset,) = set(graph.subjects(dct.identifier, None)) & set(
        graph.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                       dcat_ns.Dataset))

    def literals(predicate) -> set[tuple[str, str | None]]:
        return {(str(o), o.language) for o in graph.objects(dataset, predicate)
                if isinstance(o, Literal)}
    assert literals(dct.title) == EXPECTED_TITLES
    assert literals(dct.description) == EXPECTED_ABSTRACTS
    assert EXPECTED_SUBJECTS <= literals(dcat_ns.keyword)

    # schema.org: the main title as name, the others and the abstracts as tagged values.
    (node,) = map(json.loads, exported(catalogue, "schemaorg", tmp_path).splitlines())
    assert node["name"] == TITLES["en"] and node["inLanguage"] == "en"
    assert {(v["@value"], v["@language"]) for v in node["alternateName"]} == \
        EXPECTED_TITLES - {(TITLES["en"], "en")}
    assert node["description"] == ABSTRACTS["en"]
    assert {(v["@value"], v["@language"]) for v in node["abstract"]} == EXPECTED_ABSTRACTS
    assert EXPECTED_SUBJECTS <= {(v["@value"], v["@language"]) for v in node["keywords"]
                                 if isinstance(v, dict)}


def test_language_variants_keep_their_tags_in_the_oai_datacite_of_our_provider(catalogue):
    with ProviderServer(catalogue, ProviderConfig()) as server:
        response = requests.get(f"{server.url}/oai", timeout=10, params={
            "verb": "ListRecords", "metadataPrefix": "oai_datacite"})
    assert response.status_code == 200
    root = safexml.parse(response.content)
    (resource,) = root.iter("{http://datacite.org/schema/kernel-4}resource")
    assert_datacite_resource(resource)
