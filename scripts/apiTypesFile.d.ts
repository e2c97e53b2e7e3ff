export const API_TYPES_BASE: string;
export const API_TYPES_FILE: string;
export function apiTypesSource(document: Record<string, unknown>): Promise<string>;
