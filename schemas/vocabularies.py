"""DataCite kernel 4.7 controlled lists, as frozensets the record model checks against."""

RESOURCE_TYPE_GENERAL = frozenset(
    "Audiovisual Award Book BookChapter Collection ComputationalNotebook ConferencePaper "
    "ConferenceProceeding DataPaper Dataset Dissertation Event Image Instrument "
    "InteractiveResource Journal JournalArticle Model OutputManagementPlan PeerReview "
    "PhysicalObject Poster Preprint Presentation Project Report Service Software Sound Standard "
    "StudyRegistration Text Workflow Other".split()
)
CONTRIBUTOR_TYPE = frozenset(
    "ContactPerson DataCollector DataCurator DataManager Distributor Editor HostingInstitution "
    "Other Producer ProjectLeader ProjectManager ProjectMember RegistrationAgency "
    "RegistrationAuthority RelatedPerson ResearchGroup RightsHolder Researcher Sponsor "
    "Supervisor Translator WorkPackageLeader".split()
)
DATE_TYPE = frozenset(
    "Accepted Available Collected Copyrighted Coverage Created Issued Other Submitted Updated "
    "Valid Withdrawn".split()
)
RELATION_TYPE = frozenset(
    "IsCitedBy Cites IsSupplementTo IsSupplementedBy IsContinuedBy Continues IsNewVersionOf "
    "IsPreviousVersionOf IsPartOf HasPart IsPublishedIn IsReferencedBy References "
    "IsDocumentedBy Documents IsCompiledBy Compiles IsVariantFormOf IsOriginalFormOf "
    "IsIdenticalTo HasMetadata IsMetadataFor Reviews IsReviewedBy IsDerivedFrom IsSourceOf "
    "Describes IsDescribedBy HasVersion IsVersionOf Requires IsRequiredBy Obsoletes "
    "IsObsoletedBy Collects IsCollectedBy HasTranslation IsTranslationOf Other".split()
)
RELATED_IDENTIFIER_TYPE = frozenset(
    "ARK arXiv bibcode CSTR DOI EAN13 EISSN Handle IGSN ISBN ISSN ISTC LISSN LSID PMID PURL "
    "RAiD RRID SWHID UPC URL URN w3id".split()
)
TITLE_TYPE = frozenset("AlternativeTitle Subtitle TranslatedTitle Other".split())
DESCRIPTION_TYPE = frozenset(
    "Abstract Methods SeriesInformation TableOfContents TechnicalInfo Other".split()
)
NAME_TYPE = frozenset({"Organizational", "Personal"})
FUNDER_IDENTIFIER_TYPE = frozenset({"ISNI", "GRID", "ROR", "Crossref Funder ID", "Other"})
