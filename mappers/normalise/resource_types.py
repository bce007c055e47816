"""Resource types: DataCite resourceTypeGeneral from the type vocabularies partners use."""

from __future__ import annotations

import re

from schemas import vocabularies as vocab

# Keys are compared lower-case with everything but letters and digits removed, so "doctoral
# thesis", "doctoralThesis" and "Doctoral-Thesis" are one key.
_BY_NAME: dict[str, str] = {name.lower(): name for name in vocab.RESOURCE_TYPE_GENERAL}
_BY_NAME.update({
    # DataCite kernel 2 and 3 names that kernel 4 renamed
    "film": "Audiovisual",
    # DCMI Type Vocabulary
    "stillimage": "Image", "movingimage": "Audiovisual", "physicalobject": "PhysicalObject",
    "interactiveresource": "InteractiveResource",
    # info:eu-repo/semantics (OpenAIRE guidelines)
    "article": "JournalArticle", "bachelorthesis": "Dissertation",
    "masterthesis": "Dissertation", "doctoralthesis": "Dissertation",
    "studentthesis": "Dissertation", "bookpart": "BookChapter", "review": "Text",
    "conferenceobject": "ConferencePaper", "lecture": "Presentation", "workingpaper": "Report",
    "annotation": "Text", "contributiontoperiodical": "Text", "patent": "Text",
    "researchproposal": "Text", "technicaldocumentation": "Text", "conferenceposter": "Poster",
    "conferenceproceedings": "ConferenceProceeding",
    # COAR resource types (labels)
    "journalarticle": "JournalArticle", "researcharticle": "JournalArticle",
    "reviewarticle": "JournalArticle", "dataarticle": "DataPaper",
    "conferencepaper": "ConferencePaper", "conferencepaperabstract": "ConferencePaper",
    "thesis": "Dissertation", "bookchapter": "BookChapter", "researchreport": "Report",
    "technicalreport": "Report", "video": "Audiovisual", "peerreview": "PeerReview",
    "datapaper": "DataPaper", "periodical": "Journal", "cartographicmaterial": "Image",
    "map": "Image", "website": "InteractiveResource", "manuscript": "Text", "letter": "Text",
    "researchsoftware": "Software", "computerprogram": "Software", "datamanagementplan":
    "OutputManagementPlan", "musicalcomposition": "Sound", "photograph": "Image",
    "presentation": "Presentation", "poster": "Poster", "preprint": "Preprint",
    # schema.org
    "scholarlyarticle": "JournalArticle", "softwaresourcecode": "Software",
    "softwareapplication": "Software", "chapter": "BookChapter", "imageobject": "Image",
    "videoobject": "Audiovisual", "movieclip": "Audiovisual", "audioobject": "Sound",
    "datacatalog": "Collection", "webapplication": "InteractiveResource",
    "presentationdigitaldocument": "Presentation", "creativework": "Other",
    "publicationissue": "Journal", "musicrecording": "Sound",
    # EU Publications Office resource-type table (codes, as local names of its IRIs)
    "audio": "Sound", "videoclip": "Audiovisual", "webpage": "InteractiveResource",
    "webservice": "Service",
    # CKAN and DCAT
    "data": "Dataset", "document": "Text", "dataservice": "Service", "datasetseries":
    "Collection", "catalog": "Collection", "application": "Software", "api": "Service",
})

# COAR resource-type concept ids (http://purl.org/coar/resource_type/<id>).
_COAR: dict[str, str] = {
    "c_6501": "JournalArticle", "c_2df8fbb1": "JournalArticle", "c_dcae04bc": "JournalArticle",
    "c_beb9": "DataPaper", "c_5794": "ConferencePaper", "c_f744": "ConferenceProceeding",
    "c_6670": "Poster", "c_c94f": "ConferencePaper", "c_2f33": "Book", "c_3248": "BookChapter",
    "c_46ec": "Dissertation", "c_db06": "Dissertation", "c_bdcc": "Dissertation",
    "c_7a1f": "Dissertation", "c_93fc": "Report", "c_18gh": "Report", "c_8042": "Report",
    "816b": "Preprint", "c_ddb1": "Dataset", "c_5ce6": "Software",
    "c_18cf": "Text", "c_c513": "Image", "c_ecc8": "Image", "c_12ce": "Audiovisual",
    "c_8a7e": "Audiovisual", "c_18cc": "Sound", "c_8544": "Presentation",
    "c_0640": "Journal", "h9bq-739p": "PeerReview", "c_1843": "Other",
    "c_ab20": "OutputManagementPlan", "c_e9a0": "InteractiveResource",
}

# Every concept of the EU dataset-type table (STATISTICAL, GEOSPATIAL, TEST_DATA, ...) is a
# kind of dataset; DCAT-AP recommends it for dct:type.
_EU_DATASET_TYPE = re.compile(
    r"^https?://publications\.europa\.eu/resource/authority/dataset-type/\w+/?$", re.IGNORECASE)
_VOCABULARY_PREFIX = re.compile(
    r"^(?:info:eu-repo/semantics/|https?://purl\.org/dc/dcmitype/|dcmitype:|"
    r"https?://publications\.europa\.eu/resource/authority/resource-type/|"
    r"https?://schema\.org/|schema:|https?://www\.w3\.org/ns/dcat#|dcat:|doc-type:|"
    r"https?://purl\.org/coar/resource_type/|coar:)",
    re.IGNORECASE)
_NOT_ALNUM = re.compile(r"[^0-9a-z]")


def resource_type_general(value: str | None) -> str | None:
    """The DataCite resourceTypeGeneral a type name or URI stands for; None when unknown.

    Knows DataCite's own names (any case, plus kernel 3's "Film"), DCMI types, info:eu-repo
    semantics, COAR resource types (labels and concept URIs), schema.org types, the EU
    resource-type and dataset-type tables and the usual CKAN/DCAT types.
    """
    text = (value or "").strip()
    if not text:
        return None
    if _EU_DATASET_TYPE.match(text):
        return "Dataset"
    local = _VOCABULARY_PREFIX.sub("", text, count=1).rstrip("/")
    if (coar := _COAR.get(local.lower())) is not None:
        return coar
    return _BY_NAME.get(_NOT_ALNUM.sub("", local.lower()))
