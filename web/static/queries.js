// The GraphQL documents the pages send; the API is the one in schema.graphql, unchanged.

const PRACTICE_FIELDS = `
fragment PracticeFields on Practice {
  herId
  name
  version
  practitioners { hprNumber name }
  texts { slot title standardText text maxLength offered translations { language text } }
  tools {
    entryPoint
    title
    isDefault
    activeForm { id displayName }
    availableForms { id displayName }
  }
  absences { id practitioner { hprNumber name } from to services }
  scheduledTexts { id slot language text from to createdAt createdByHpr }
}`;

const USER_ERRORS = "userErrors { field code message }";

export const ME = `
query Me { me { hprNumber name practices { herId name } } }`;

export const PRACTICE = `
query Practice($herId: Int!) { practice(herId: $herId) { ...PracticeFields } }
${PRACTICE_FIELDS}`;

export const SAVE_TEXTS = `
mutation SaveTexts($input: SaveTextsInput!) {
  saveTexts(input: $input) { practice { ...PracticeFields } ${USER_ERRORS} }
}
${PRACTICE_FIELDS}`;

export const CHOOSE_FORM = `
mutation ChooseForm($input: ChooseFormInput!) {
  chooseForm(input: $input) { practice { ...PracticeFields } ${USER_ERRORS} }
}
${PRACTICE_FIELDS}`;

export const ADD_ABSENCE = `
mutation AddAbsence($input: AddAbsenceInput!) {
  addAbsence(input: $input) { practice { ...PracticeFields } ${USER_ERRORS} }
}
${PRACTICE_FIELDS}`;

export const DELETE_ABSENCE = `
mutation DeleteAbsence($input: DeleteAbsenceInput!) {
  deleteAbsence(input: $input) { deletedId practice { ...PracticeFields } ${USER_ERRORS} }
}
${PRACTICE_FIELDS}`;

export const ADD_SCHEDULED_TEXT = `
mutation AddScheduledText($input: AddScheduledTextInput!) {
  addScheduledText(input: $input) { scheduledText { id } practice { ...PracticeFields } ${USER_ERRORS} }
}
${PRACTICE_FIELDS}`;

export const DELETE_SCHEDULED_TEXT = `
mutation DeleteScheduledText($input: DeleteScheduledTextInput!) {
  deleteScheduledText(input: $input) { deletedId practice { ...PracticeFields } ${USER_ERRORS} }
}
${PRACTICE_FIELDS}`;

export const PATIENT_PANEL = `
query PatientPanel($herId: Int!, $hpr: Int, $on: Date, $language: Language) {
  patientPanel(herId: $herId, practitionerHpr: $hpr, on: $on, language: $language) {
    practice { herId name }
    panelText
    panelTextLanguage
    panelTextUntil
    panelTextUntilInWords
    services {
      service
      language
      title
      lead
      offered
      available
      standardText
      practiceText
      practiceTextLanguage
      practiceTextUntil
      practiceTextUntilInWords
      form { id title displayName questionnaireRef }
      entryPoints { entryPoint title form { id title } }
      absence { from to returnsOn message }
    }
  }
}`;
