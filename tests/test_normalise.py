"""The normalisers turn partners' spellings into ours, and say None when a value is not one."""

from __future__ import annotations

import pytest

from mappers.normalise import (
    access_right_label,
    classify_identifier,
    detect_language,
    languages,
    normalise_date,
    normalise_doi,
    normalise_handle,
    normalise_language,
    normalise_licence,
    normalise_orcid,
    normalise_ror,
    publication_year_from,
    resource_type_general,
)

# --- identifiers -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "10.1234/ABC.def-5",
    " 10.1234/abc.def-5 ",
    "doi:10.1234/abc.DEF-5",
    "DOI: 10.1234/abc.def-5",
    "info:doi/10.1234/abc.def-5",
    "https://doi.org/10.1234/abc.def-5",
    "http://dx.doi.org/10.1234/abc.def-5",
    "https://www.doi.org/10.1234/abc.def-5",
    "doi.org/10.1234/abc.def-5",
    "https://doi.org/10.1234%2Fabc.def-5",
])
def test_every_usual_doi_spelling_gives_the_bare_lower_case_doi(text):
    assert normalise_doi(text) == "10.1234/abc.def-5"


@pytest.mark.parametrize("text", ["", None, "10.12/too-short-prefix", "11.1234/abc", "10.1234/",
                                  "https://example.org/10.1234/abc", "hdl:10013/epic.10033"])
def test_things_that_are_not_dois_give_none(text):
    assert normalise_doi(text) is None


def test_a_doi_keeps_its_registrant_subdivisions_and_odd_suffix_characters():
    assert normalise_doi("10.1000.10/ABC(2)<x>;y") == "10.1000.10/abc(2)<x>;y"


@pytest.mark.parametrize("text", [
    "0000-0002-1825-0097",
    "0000000218250097",
    "https://orcid.org/0000-0002-1825-0097",
    "http://orcid.org/0000-0002-1825-0097/",
    "orcid.org/0000000218250097",
    "ORCID: 0000-0002-1825-0097",
    " https://www.orcid.org/0000-0002-1825-0097 ",
    "https://orcid.org/https://orcid.org/0000-0002-1825-0097",
])
def test_orcid_forms_give_the_https_url(text):
    assert normalise_orcid(text) == "https://orcid.org/0000-0002-1825-0097"


def test_an_orcid_with_an_x_check_digit_is_upper_cased():
    assert normalise_orcid("0000-0002-7285-027x") == "https://orcid.org/0000-0002-7285-027X"


@pytest.mark.parametrize("text", ["0000-0002-1825-0098", "0000-0002-1825-009", "xyz789",
                                  "https://example.org/0000-0002-1825-0097", ""])
def test_an_orcid_with_a_bad_checksum_or_form_gives_none(text):
    assert normalise_orcid(text) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("https://ror.org/04wxnsj81", "https://ror.org/04wxnsj81"),
    ("ror.org/04WXNSJ81", "https://ror.org/04wxnsj81"),
    ("047s2c258", "https://ror.org/047s2c258"),
    ("http://ror.org/03yrm5c26/", "https://ror.org/03yrm5c26"),
    ("https://ror.org/04wxnsj82", None),  # checksum
    ("https://ror.org/12abcde34", None),  # does not start with 0
    ("not a ror", None),
])
def test_ror_ids_are_checked_and_given_as_urls(text, expected):
    assert normalise_ror(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("hdl:20.500.12345/abc", "20.500.12345/abc"),
    ("info:hdl/1822/7464", "1822/7464"),
    ("https://hdl.handle.net/10013/epic.10033", "10013/epic.10033"),
    ("http://handle.net/2027/mdp.39015", "2027/mdp.39015"),
    ("10013/epic.10033", "10013/epic.10033"),
    ("10.1234/a-doi-not-a-handle", None),
    ("no handle here", None),
])
def test_handles_are_given_as_prefix_slash_suffix(text, expected):
    assert normalise_handle(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("https://doi.org/10.5281/ZENODO.1", ("DOI", "10.5281/zenodo.1")),
    ("https://orcid.org/0000-0002-1825-0097", ("ORCID", "https://orcid.org/0000-0002-1825-0097")),
    ("https://ror.org/04wxnsj81", ("ROR", "https://ror.org/04wxnsj81")),
    ("http://hdl.handle.net/1822/7464", ("Handle", "1822/7464")),
    ("20.500.11811/1234", ("Handle", "20.500.11811/1234")),
    ("ark:/13030/tqb3kh97gh8w", ("ARK", "ark:/13030/tqb3kh97gh8w")),
    ("https://n2t.net/ark:/13030/tqb3kh97gh8w", ("ARK", "ark:/13030/tqb3kh97gh8w")),
    ("URN:NBN:de:101:1-201102033592", ("URN", "urn:nbn:de:101:1-201102033592")),
    ("arXiv:0706.0001", ("arXiv", "arXiv:0706.0001")),
    ("https://arxiv.org/abs/2101.00001v2", ("arXiv", "arXiv:2101.00001v2")),
    ("pmid:12082125", ("PMID", "12082125")),
    ("ISSN 0317-8471", ("ISSN", "0317-8471")),
    ("2049-3630", ("ISSN", "2049-3630")),
    ("978-3-905673-82-1", ("ISBN", "9783905673821")),
    ("ISBN 0-306-40615-2", ("ISBN", "0306406152")),
    ("0000-0002-1825-0097", ("ORCID", "https://orcid.org/0000-0002-1825-0097")),
    ("https://zenodo.org/records/1", ("URL", "https://zenodo.org/records/1")),
    ("ftp://ftp.example.org/data.csv", ("URL", "ftp://ftp.example.org/data.csv")),
    ("Smith J. (2010) A citation", (None, "Smith J. (2010) A citation")),
    ("978-3-905673-82-2", (None, "978-3-905673-82-2")),  # ISBN checksum fails
])
def test_identifiers_are_classified_and_normalised(text, expected):
    assert classify_identifier(text) == expected


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("2024", "2024"),
    ("2024-03", "2024-03"),
    ("2024-3-7", "2024-03-07"),
    ("2024-03-07", "2024-03-07"),
    ("20240307", "2024-03-07"),
    ("2024-03-07T10:20:30Z", "2024-03-07T10:20:30Z"),
    ("2024-03-07T10:20Z", "2024-03-07T10:20:00Z"),
    ("2024-03-07T12:20:30+02:00", "2024-03-07T10:20:30Z"),
    ("2024-03-07T12:20:30.123+0200", "2024-03-07T10:20:30Z"),
    ("2024-03-07 10:20:30", "2024-03-07T10:20:30"),
    ("2024-01-01/2024-12-31", "2024-01-01/2024-12-31"),
    ("2024-01-01/", "2024-01-01/"),
    ("/2024-12-31", "/2024-12-31"),
    ("../2024-12", "/2024-12"),
    ("2010-2012", "2010/2012"),
])
def test_dates_are_given_in_canonical_iso_8601(text, expected):
    assert normalise_date(text) == expected


@pytest.mark.parametrize("text", ["321 BCE", "Yesterday", "2024-02-30", "2024-13", "07/03/2024",
                                  "2024-01-01/2024-12-31/2025", "/", "2012-2010", ""])
def test_dates_that_cannot_be_parsed_give_none(text):
    assert normalise_date(text) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("2010", 2010), ("2010-05-01T00:00:00Z", 2010), ("2001-01-01/2003-12-31", 2001),
    ("/2003-12-31", 2003), ("Spring 2010", 2010), ("c. 1998", 1998), ("321 BCE", None),
    ("Yesterday", None), (None, None),
])
def test_the_publication_year_comes_from_the_date_or_a_lone_year(text, expected):
    assert publication_year_from(text) == expected


# --- licences ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "spdx", "uri"), [
    ("https://creativecommons.org/licenses/by/4.0/", "CC-BY-4.0",
     "https://creativecommons.org/licenses/by/4.0/"),
    ("http://creativecommons.org/licenses/by/4.0", "CC-BY-4.0",
     "https://creativecommons.org/licenses/by/4.0/"),
    ("https://creativecommons.org/licenses/by/4.0/legalcode", "CC-BY-4.0",
     "https://creativecommons.org/licenses/by/4.0/"),
    ("https://creativecommons.org/licenses/by/4.0/legalcode.de", "CC-BY-4.0",
     "https://creativecommons.org/licenses/by/4.0/"),
    ("http://www.creativecommons.org/licenses/by-nc-sa/3.0/deed.fr", "CC-BY-NC-SA-3.0",
     "https://creativecommons.org/licenses/by-nc-sa/3.0/"),
    ("http://creativecommons.org/licenses/by/3.0/deed", "CC-BY-3.0",
     "https://creativecommons.org/licenses/by/3.0/"),
    ("https://creativecommons.org/licenses/by-nd/2.5/", "CC-BY-ND-2.5",
     "https://creativecommons.org/licenses/by-nd/2.5/"),
    ("https://creativecommons.org/licenses/by-nc/2.0/", "CC-BY-NC-2.0",
     "https://creativecommons.org/licenses/by-nc/2.0/"),
    ("https://creativecommons.org/licenses/by-nd-nc/1.0/", "CC-BY-NC-ND-1.0",
     "https://creativecommons.org/licenses/by-nd-nc/1.0/"),
    ("https://creativecommons.org/licenses/by-sa/1.0/", "CC-BY-SA-1.0",
     "https://creativecommons.org/licenses/by-sa/1.0/"),
    ("https://creativecommons.org/licenses/by-nc-nd/4.0/deed.pt_BR", "CC-BY-NC-ND-4.0",
     "https://creativecommons.org/licenses/by-nc-nd/4.0/"),
    ("https://creativecommons.org/licenses/by/3.0/de/", "CC-BY-3.0-DE",
     "https://creativecommons.org/licenses/by/3.0/de/"),
    ("https://creativecommons.org/licenses/by-sa/3.0/igo/legalcode", "CC-BY-SA-3.0-IGO",
     "https://creativecommons.org/licenses/by-sa/3.0/igo/"),
    ("https://creativecommons.org/licenses/by/3.0/es/", None,
     "https://creativecommons.org/licenses/by/3.0/es/"),  # a port SPDX has no id for
    ("https://creativecommons.org/licenses/nc/1.0/", None,
     "https://creativecommons.org/licenses/nc/1.0/"),
    ("http://creativecommons.org/publicdomain/zero/1.0/legalcode", "CC0-1.0",
     "https://creativecommons.org/publicdomain/zero/1.0/"),
    ("https://creativecommons.org/publicdomain/mark/1.0/", None,
     "https://creativecommons.org/publicdomain/mark/1.0/"),
    ("http://opendatacommons.org/licenses/odbl/1.0/", "ODbL-1.0",
     "https://opendatacommons.org/licenses/odbl/1-0/"),
    ("https://opendatacommons.org/licenses/by/1-0/", "ODC-By-1.0",
     "https://opendatacommons.org/licenses/by/1-0/"),
    ("http://opendatacommons.org/licenses/pddl/", "PDDL-1.0",
     "https://opendatacommons.org/licenses/pddl/1-0/"),
    ("https://opensource.org/licenses/MIT", "MIT", "https://opensource.org/licenses/MIT"),
    ("http://www.apache.org/licenses/LICENSE-2.0.txt", "Apache-2.0",
     "https://www.apache.org/licenses/LICENSE-2.0"),
    ("https://www.gnu.org/licenses/gpl-3.0.en.html", "GPL-3.0-only",
     "https://www.gnu.org/licenses/gpl-3.0.html"),
    ("https://www.gnu.org/licenses/old-licenses/gpl-2.0.html", "GPL-2.0-only",
     "https://www.gnu.org/licenses/old-licenses/gpl-2.0.html"),
    ("https://opensource.org/licenses/BSD-3-Clause", "BSD-3-Clause",
     "https://opensource.org/licenses/BSD-3-Clause"),
    ("https://joinup.ec.europa.eu/collection/eupl/eupl-text-eupl-12", "EUPL-1.2",
     "https://interoperable-europe.ec.europa.eu/collection/eupl/eupl-text-eupl-12"),
    ("https://spdx.org/licenses/BSD-2-Clause.html", "BSD-2-Clause",
     "https://opensource.org/licenses/BSD-2-Clause"),
])
def test_licence_urls_give_spdx_ids_and_canonical_uris(text, spdx, uri):
    assert normalise_licence(text) == (spdx, uri)


@pytest.mark.parametrize(("text", "spdx"), [
    ("cc-by-4.0", "CC-BY-4.0"),
    ("CC0-1.0", "CC0-1.0"),
    ("mit", "MIT"),
    ("apache-2.0", "Apache-2.0"),
    ("GPL-3.0", "GPL-3.0-only"),
    ("GPL-2.0-or-later", "GPL-2.0-or-later"),
    ("odbl-1.0", "ODbL-1.0"),
    ("eupl-1.2", "EUPL-1.2"),
    ("CC BY 4.0", "CC-BY-4.0"),
    ("CC BY-NC-SA 4.0", "CC-BY-NC-SA-4.0"),
    ("Creative Commons Attribution 4.0 International", "CC-BY-4.0"),
    ("Creative Commons Attribution-NonCommercial-NoDerivatives 4.0 International",
     "CC-BY-NC-ND-4.0"),
    ("Creative Commons Attribution-ShareAlike 3.0 Unported", "CC-BY-SA-3.0"),
    ("Creative Commons Attribution 3.0 IGO", "CC-BY-3.0-IGO"),
    ("CC0 1.0 Universal", "CC0-1.0"),
    ("Open Database License [ODbL]", "ODbL-1.0"),
    ("Open Data Commons Attribution License", "ODC-By-1.0"),
    ("The MIT License", "MIT"),
    ("Apache License, Version 2.0", "Apache-2.0"),
    ("GNU General Public License v3.0 or later", "GPL-3.0-or-later"),
    ("BSD 3-Clause License", "BSD-3-Clause"),
    ("European Union Public Licence v. 1.2", "EUPL-1.2"),
])
def test_licence_ids_and_names_give_spdx_ids(text, spdx):
    assert normalise_licence(text)[0] == spdx


@pytest.mark.parametrize("text", [
    "info:eu-repo/semantics/openAccess", "All rights reserved", "Creative Commons Attribution",
    "GNU Lesser General Public License v3", "", None, "https://example.org/licence",
])
def test_access_rights_and_unknown_statements_are_not_licences(text):
    assert normalise_licence(text) == (None, None)


def test_access_rights_terms_have_labels():
    assert access_right_label("info:eu-repo/semantics/openAccess") == "Open Access"
    assert access_right_label("http://purl.org/coar/access_right/c_f1cf") == "Embargoed Access"
    assert access_right_label("CC-BY-4.0") is None


# --- languages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "expected"), [
    ("en", "en"), ("eng", "en"), ("English", "en"), ("EN", "en"), ("en_US", "en-US"),
    ("en-us", "en-US"), ("fre", "fr"), ("fra", "fr"), ("French", "fr"), ("Français", "fr"),
    ("chi", "zh"), ("zho", "zh"), ("ara", "ar"), ("spa", "es"), ("por", "pt"), ("swa", "sw"),
    ("swh", "sw"), ("rus", "ru"), ("ger", "de"), ("deu", "de"), ("zh-hans-cn", "zh-Hans-CN"),
    ("sr-latn", "sr-Latn"), ("es-419", "es-419"), ("de-DE-1996", "de-DE-1996"),
    ("haw", "haw"), ("Kiswahili", "sw"),
])
def test_language_codes_become_bcp_47_with_two_letter_codes(code, expected):
    assert normalise_language(code) == expected


@pytest.mark.parametrize("code", ["xx", "e", "english language", "123", "en-", "", None,
                                  "en-US-abcdefghi", "en-a1"])
def test_things_that_are_not_language_tags_give_none(code):
    assert normalise_language(code) is None


MULTILINGUAL = {
    "zh": "本研究分析了气候变化对东非农业生产的影响，并提出了适应策略。",
    "ar": "تتناول هذه الدراسة تأثير تغير المناخ على الزراعة في شمال أفريقيا.",
    "ru": "В данной работе рассматривается влияние изменения климата на сельское хозяйство.",
    "es": "Este estudio analiza el impacto del cambio climático en la agricultura andina.",
    "fr": "Cette étude analyse les effets du changement climatique sur l'agriculture.",
    "pt": "Este trabalho avalia os efeitos das mudanças climáticas na produção agrícola.",
    "sw": "Utafiti huu unachunguza athari za mabadiliko ya tabianchi kwa kilimo.",
    "en": "This dataset holds sea surface temperatures observed in the Indian Ocean.",
}


@pytest.mark.parametrize(("expected", "text"), MULTILINGUAL.items())
def test_the_language_of_a_sentence_is_detected(expected, text):
    assert detect_language(text) == expected


def test_detection_gives_the_same_answer_every_time_and_in_any_order():
    first = {text: detect_language(text) for text in MULTILINGUAL.values()}
    for _ in range(3):
        languages._detect.cache_clear()  # detect afresh rather than read the cache
        again = {text: detect_language(text) for text in reversed(MULTILINGUAL.values())}
        assert again == first


def test_short_or_ambiguous_texts_are_not_detected():
    assert detect_language("Chemistry") is None
    assert detect_language("化学进展") is None
    assert detect_language("Digital curation and preservation") is None  # en 0.57, it 0.43
    assert detect_language("") is None


# --- resource types ----------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("Dataset", "Dataset"), ("dataset", "Dataset"), ("DATASET", "Dataset"),
    ("JournalArticle", "JournalArticle"), ("Film", "Audiovisual"), ("text", "Text"),
    ("Image", "Image"), ("Software", "Software"), ("StillImage", "Image"),
    ("MovingImage", "Audiovisual"), ("http://purl.org/dc/dcmitype/Dataset", "Dataset"),
    ("dcmitype:Sound", "Sound"),
    ("info:eu-repo/semantics/article", "JournalArticle"),
    ("info:eu-repo/semantics/doctoralThesis", "Dissertation"),
    ("info:eu-repo/semantics/masterThesis", "Dissertation"),
    ("info:eu-repo/semantics/bookPart", "BookChapter"),
    ("info:eu-repo/semantics/conferenceObject", "ConferencePaper"),
    ("info:eu-repo/semantics/workingPaper", "Report"),
    ("info:eu-repo/semantics/preprint", "Preprint"),
    ("doc-type:article", "JournalArticle"),
    ("journal article", "JournalArticle"), ("Doctoral thesis", "Dissertation"),
    ("conference proceedings", "ConferenceProceeding"), ("data paper", "DataPaper"),
    ("http://purl.org/coar/resource_type/c_6501", "JournalArticle"),
    ("http://purl.org/coar/resource_type/c_ddb1", "Dataset"),
    ("http://purl.org/coar/resource_type/c_db06/", "Dissertation"),
    ("https://schema.org/ScholarlyArticle", "JournalArticle"),
    ("schema:SoftwareSourceCode", "Software"), ("http://schema.org/Dataset", "Dataset"),
    ("dcat:Dataset", "Dataset"), ("http://www.w3.org/ns/dcat#DataService", "Service"),
    ("DatasetSeries", "Collection"),
])
def test_type_names_from_every_vocabulary_give_datacite_types(value, expected):
    assert resource_type_general(value) == expected


@pytest.mark.parametrize("value", ["info:eu-repo/semantics/publishedVersion", "Peer reviewed",
                                   "", None, "Widget"])
def test_unknown_types_give_none(value):
    assert resource_type_general(value) is None
