"""Languages: BCP 47 tags from ISO 639 codes, names and sloppy tags; deterministic detection."""

from __future__ import annotations

import re
from functools import lru_cache

# Entries separated by "|" or a line break: ISO 639-1 code, ISO 639-2/T code, ISO 639-2/B code
# where it differs ("-" otherwise), English name(s) separated by ";".
_ISO_639 = """
aa aar - Afar|ab abk - Abkhazian|ae ave - Avestan|af afr - Afrikaans|ak aka - Akan
am amh - Amharic|an arg - Aragonese|ar ara - Arabic|as asm - Assamese|av ava - Avaric
ay aym - Aymara|az aze - Azerbaijani|ba bak - Bashkir|be bel - Belarusian|bg bul - Bulgarian
bi bis - Bislama|bm bam - Bambara|bn ben - Bengali;Bangla|bo bod tib Tibetan|br bre - Breton
bs bos - Bosnian|ca cat - Catalan;Valencian|ce che - Chechen|ch cha - Chamorro
co cos - Corsican|cr cre - Cree|cs ces cze Czech|cu chu - Church Slavic|cv chv - Chuvash
cy cym wel Welsh|da dan - Danish|de deu ger German|dv div - Divehi;Dhivehi;Maldivian
dz dzo - Dzongkha|ee ewe - Ewe|el ell gre Greek;Modern Greek|en eng - English
eo epo - Esperanto|es spa - Spanish;Castilian|et est - Estonian|eu eus baq Basque
fa fas per Persian;Farsi|ff ful - Fulah;Fula|fi fin - Finnish|fj fij - Fijian
fo fao - Faroese|fr fra fre French|fy fry - Western Frisian;Frisian|ga gle - Irish
gd gla - Scottish Gaelic;Gaelic|gl glg - Galician|gn grn - Guarani|gu guj - Gujarati
gv glv - Manx|ha hau - Hausa|he heb - Hebrew|hi hin - Hindi|ho hmo - Hiri Motu
hr hrv - Croatian|ht hat - Haitian;Haitian Creole|hu hun - Hungarian|hy hye arm Armenian
hz her - Herero|ia ina - Interlingua|id ind - Indonesian|ie ile - Interlingue|ig ibo - Igbo
ii iii - Sichuan Yi;Nuosu|ik ipk - Inupiaq|io ido - Ido|is isl ice Icelandic|it ita - Italian
iu iku - Inuktitut|ja jpn - Japanese|jv jav - Javanese|ka kat geo Georgian|kg kon - Kongo
ki kik - Kikuyu;Gikuyu|kj kua - Kuanyama;Kwanyama|kk kaz - Kazakh|kl kal - Kalaallisut
km khm - Khmer;Central Khmer|kn kan - Kannada|ko kor - Korean|kr kau - Kanuri
ks kas - Kashmiri|ku kur - Kurdish|kv kom - Komi|kw cor - Cornish|ky kir - Kyrgyz;Kirghiz
la lat - Latin|lb ltz - Luxembourgish|lg lug - Ganda;Luganda|li lim - Limburgish
ln lin - Lingala|lo lao - Lao|lt lit - Lithuanian|lu lub - Luba-Katanga|lv lav - Latvian
mg mlg - Malagasy|mh mah - Marshallese|mi mri mao Maori|mk mkd mac Macedonian
ml mal - Malayalam|mn mon - Mongolian|mr mar - Marathi|ms msa may Malay|mt mlt - Maltese
my mya bur Burmese|na nau - Nauru|nb nob - Norwegian Bokmal;Bokmal|nd nde - North Ndebele
ne nep - Nepali|ng ndo - Ndonga|nl nld dut Dutch;Flemish|nn nno - Norwegian Nynorsk;Nynorsk
no nor - Norwegian|nr nbl - South Ndebele|nv nav - Navajo|ny nya - Chichewa;Nyanja
oc oci - Occitan|oj oji - Ojibwa|om orm - Oromo|or ori - Oriya;Odia|os oss - Ossetian
pa pan - Punjabi;Panjabi|pi pli - Pali|pl pol - Polish|ps pus - Pashto;Pushto
pt por - Portuguese|qu que - Quechua|rm roh - Romansh|rn run - Rundi;Kirundi
ro ron rum Romanian;Moldavian|ru rus - Russian|rw kin - Kinyarwanda|sa san - Sanskrit
sc srd - Sardinian|sd snd - Sindhi|se sme - Northern Sami|sg sag - Sango|si sin - Sinhala
sk slk slo Slovak|sl slv - Slovenian;Slovene|sm smo - Samoan|sn sna - Shona|so som - Somali
sq sqi alb Albanian|sr srp - Serbian|ss ssw - Swati|st sot - Southern Sotho;Sesotho
su sun - Sundanese|sv swe - Swedish|sw swa - Swahili;Kiswahili|ta tam - Tamil|te tel - Telugu
tg tgk - Tajik|th tha - Thai|ti tir - Tigrinya|tk tuk - Turkmen|tl tgl - Tagalog;Filipino
tn tsn - Tswana;Setswana|to ton - Tonga|tr tur - Turkish|ts tso - Tsonga|tt tat - Tatar
tw twi - Twi|ty tah - Tahitian|ug uig - Uyghur;Uighur|uk ukr - Ukrainian|ur urd - Urdu
uz uzb - Uzbek|ve ven - Venda|vi vie - Vietnamese|vo vol - Volapuk|wa wln - Walloon
wo wol - Wolof|xh xho - Xhosa|yi yid - Yiddish|yo yor - Yoruba|za zha - Zhuang
zh zho chi Chinese|zu zul - Zulu
"""

# ISO 639-3 individual languages that BCP 47 readers expect under their macrolanguage code.
_INDIVIDUAL = {"swh": "sw", "arb": "ar", "cmn": "zh", "pes": "fa", "zsm": "ms", "ekk": "et",
               "lvs": "lv", "khk": "mn", "ydd": "yi", "azj": "az", "uzn": "uz", "npi": "ne"}

# Names in the language itself, for the languages our partners write in most.
_ENDONYMS = {
    "francais": "fr", "français": "fr", "deutsch": "de", "español": "es", "espanol": "es",
    "castellano": "es", "português": "pt", "portugues": "pt", "italiano": "it",
    "русский": "ru", "中文": "zh", "汉语": "zh", "漢語": "zh", "العربية": "ar",
    "nederlands": "nl", "polski": "pl", "türkçe": "tr", "日本語": "ja", "한국어": "ko",
    "svenska": "sv", "norsk": "no", "dansk": "da", "suomi": "fi", "čeština": "cs",
    "ελληνικά": "el", "magyar": "hu", "română": "ro", "українська": "uk",
    "bahasa indonesia": "id", "tiếng việt": "vi", "हिन्दी": "hi", "فارسی": "fa",
    "català": "ca", "euskara": "eu", "galego": "gl", "isizulu": "zu", "af-soomaali": "so",
}

_TWO: set[str] = set()
_THREE: dict[str, str] = dict(_INDIVIDUAL)
_NAMES: dict[str, str] = dict(_ENDONYMS)
for _entry in _ISO_639.replace("\n", "|").split("|"):
    if not _entry.strip():
        continue
    _two, _terminology, _bibliographic, _names = _entry.split(" ", 3)
    _TWO.add(_two)
    _THREE[_terminology] = _two
    if _bibliographic != "-":
        _THREE[_bibliographic] = _two
    for _name in _names.split(";"):
        _NAMES[_name.lower()] = _two
_NAMES["moldovan"] = "ro"
_TWO.add("sh")  # Serbo-Croatian: deprecated in ISO 639-1 but still valid in BCP 47 and in use.

_SUBTAG = re.compile(r"^[A-Za-z0-9]{1,8}$")


@lru_cache(maxsize=4096)
def normalise_language(code: str | None) -> str | None:
    """A BCP 47 tag with the ISO 639-1 code where one exists; None when it is not a language.

    "eng", "en", "English" and "EN" give "en"; "en_us" gives "en-US"; "zh-hans-cn" gives
    "zh-Hans-CN". Three-letter codes without a two-letter equivalent are kept as they are.
    """
    text = (code or "").strip()
    if not text:
        return None
    if (name := _NAMES.get(text.lower())) is not None:
        return name
    subtags = text.replace("_", "-").split("-")
    if not all(_SUBTAG.match(s) for s in subtags):
        return None
    primary = subtags[0].lower()
    if len(primary) == 2:
        if primary not in _TWO:
            return None
    elif len(primary) == 3 and primary.isalpha():
        primary = _THREE.get(primary, primary)
    else:
        return None
    out = [primary]
    for position, subtag in enumerate(subtags[1:], start=1):
        if len(subtag) == 1:  # an extension or private-use singleton: the rest is opaque
            out.extend(s.lower() for s in subtags[position:])
            break
        if len(subtag) == 4 and subtag.isalpha() and position == 1:
            out.append(subtag.title())
        elif (len(subtag) == 2 and subtag.isalpha()) or (len(subtag) == 3 and subtag.isdigit()):
            out.append(subtag.upper())
        elif len(subtag) >= 5 or (len(subtag) == 4 and subtag[0].isdigit()):
            out.append(subtag.lower())
        else:
            return None
    return "-".join(out)


MIN_DETECTABLE_CHARS = 20
MIN_PROBABILITY = 0.80
# py3langid decides alone from this probability up; below it, langdetect does.
SURE = 0.90
_LANGDETECT_TAGS = {"zh-cn": "zh", "zh-tw": "zh"}
# langdetect reads every ASCII digit as a space (and collapses spaces), so texts that differ only
# in their numbers ("Rainfall, 1998-2004" / "Rainfall, 2005-2011") give the same n-grams and the
# same answer: one detection serves them all. Beyond langdetect's 10,000-character cut the
# digits would move the cut, so long texts keep theirs.
_NUMBERS = re.compile(r"[0-9]+")
_LANGDETECT_MAX_CHARS = 10_000


def detect_language(text: str | None) -> str | None:
    """The language of a piece of text as a BCP 47 tag, or None when unsure.

    Texts under MIN_DETECTABLE_CHARS characters and answers below MIN_PROBABILITY give None.
    Han script settles Chinese; then py3langid answers where it is SURE, and langdetect
    everywhere else (see `_detect`). The answer depends on the text alone: both detectors are
    deterministic (langdetect is seeded and a fresh detector made for every call), so the same
    text always gets the same tag, on any machine and in any order.
    """
    collapsed = " ".join((text or "").split())
    if len(collapsed) < MIN_DETECTABLE_CHARS:
        return None
    if len(collapsed) < _LANGDETECT_MAX_CHARS:
        collapsed = _NUMBERS.sub("0", collapsed)
    return _detect(collapsed)


# Han characters (CJK ideographs), and the scripts that make Han text Japanese or Korean.
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA_OR_HANGUL = re.compile("[\u3040-\u30ff\u31f0-\u31ff\u1100-\u11ff\u3130-\u318f"
                             "\uac00-\ud7af]")


def _by_script(text: str) -> str | None:
    """Chinese when most letters are Han and none is kana or hangul.

    langdetect's n-grams confuse Traditional Chinese with Korean (a Taiwanese abstract comes out
    "ko" at 0.99999): Korean profiles hold Hanja. The script settles it: Japanese text has kana,
    Korean text has hangul, Han text with neither is Chinese.
    """
    if _KANA_OR_HANGUL.search(text):
        return None
    letters = sum(c.isalpha() for c in text)
    han = len(_HAN.findall(text))
    return "zh" if letters and han * 2 >= letters else None


def load_detectors() -> None:
    """Load both detectors' models now rather than at the first text that needs them."""
    from langdetect.detector_factory import init_factory

    init_factory()
    _identifier()


@lru_cache(maxsize=1)
def _identifier():
    """py3langid's model (0.4 s to load, once per process; the mapping workers' forkserver
    loads it before forking them)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@lru_cache(maxsize=16384)
def _detect(text: str) -> str | None:
    """The two detectors, each where it is better.

    py3langid (naive Bayes over byte n-grams, in numpy) answers in about 0.1 ms and knows 140
    languages, Hausa, Yoruba, Igbo, Zulu, Amharic and Kinyarwanda among them; langdetect takes
    1-10 ms a text. Where py3langid is SURE, it agreed with langdetect on every text of our
    labelled samples (titles and abstracts in nine languages); below that it often hesitates
    between neighbours (pt/gl, es/gl), which langdetect tells apart better. So py3langid decides
    the texts it is sure of, about four in five of ours, and langdetect the rest.
    """
    if (by_script := _by_script(text)) is not None:
        return by_script
    language, probability = _identifier().classify(text)
    if probability >= SURE:
        return None if language == "zxx" else normalise_language(language)  # zxx: no language
    from langdetect import DetectorFactory, detect_langs  # slow to import: only when needed
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    try:
        best = detect_langs(text)[0]
    except (LangDetectException, IndexError):
        return None
    if best.prob < MIN_PROBABILITY:
        return None
    return _LANGDETECT_TAGS.get(best.lang, best.lang)
