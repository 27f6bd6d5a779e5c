"""The citizen corner (issue 16, part 4): public reports of a child seen in distress or missing,
moderated by the district's DCPU into records; public notices of missing children on the
guardian's recorded consent, withdrawn the moment the child is traced."""
