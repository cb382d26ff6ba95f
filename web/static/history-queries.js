// The GraphQL documents of "Historikk" (v2: AuditEntry.revertible and revertChange). Kept apart
// from queries.js so that the history tab asks only for what it shows.

/** One page of the history, newest first, with the names to show for the HPR numbers in it
 * and the boxes' titles (a text change is shown with its texts before and after, by box).
 * The version is not used for expectedVersion (the page's version is); it is read so that the
 * list and the flags in it belong to one moment. */
export const HISTORY = `
query History($herId: Int!, $first: Int!, $after: String) {
  practice(herId: $herId) {
    version
    practitioners { hprNumber name }
    texts { slot title }
    auditLog(first: $first, after: $after) {
      edges { cursor node { id at actorHpr action summary before after revertible } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

/** Undo ("ANGRE"). The practice itself is read again afterwards with the page's own query, so
 * that every tab gets the shape it expects. */
export const REVERT_CHANGE = `
mutation RevertChange($input: RevertChangeInput!) {
  revertChange(input: $input) {
    practice { version }
    auditEntry { id summary }
    userErrors { field code message }
  }
}`;
