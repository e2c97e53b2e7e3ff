type Catalogue = Record<string, { status: number; when: string }>;
export function clientErrorCodesSource(codes: Catalogue): string;
export function docsErrorTable(codes: Catalogue): string;
export function replaceDocsTable(markdown: string, table: string): string;
