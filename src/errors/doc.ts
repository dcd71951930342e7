// Renders docs/errors.md from the error catalogue, so the reference cannot drift from the codes the
// server actually emits (a test compares the file with this output).
import { errorCatalogue } from './codes.js';

export function renderErrorsDoc(): string {
  const rows = Object.entries(errorCatalogue)
    .map(([code, e]) => `| \`${code}\` | ${e.status} | ${e.message.replaceAll('|', '\\|')} |`)
    .join('\n');
  return `# Error codes

<!-- Generated from src/errors/codes.ts by src/errors/doc.ts; regenerate with
     UPDATE_DOCS=1 npx vitest run src/errors/doc.test.ts -->

Every error Coffer returns carries one of these codes. The S3 API answers with an XML
\`<Error><Code/><Message/><Resource/><RequestId/><HostId/></Error>\` body (none for HEAD),
the \`<HostId>\` being the reply's \`x-amz-id-2\` header; the IAM and STS
query APIs answer with \`<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>\`.
The message below is the default; most errors say more precisely what was wrong.

| code | HTTP status | default message |
|---|--:|---|
${rows}
`;
}
