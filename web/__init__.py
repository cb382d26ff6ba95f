"""The browser side: the GPs' admin page at /, the patient preview at /pasient/{herId}, and the
forms as FHIR questionnaires. The pages are plain HTML and ES modules that talk only to the
GraphQL API, so they need no build step."""
