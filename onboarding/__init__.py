"""Onboarding a partner: `os10 sources check URL` detects, lists, samples and judges an endpoint.

    detect.py     which protocol the URL speaks (OAI-PMH Identify, CKAN status_show, DCAT RDF)
    offerings.py  what the endpoint offers: formats and sets, organisations, paging
    sample.py     a few records harvested and mapped in memory, with their quality
    proposal.py   the sources.yaml block to paste
    check.py      the whole check and its verdict; report.py the text a steward reads

Nothing here writes to the store: a check leaves no trace but the partner's access log.
"""
