// the client's: it lists every resource of the generated Scope union (a compile error otherwise)
import { SCOPE_RESOURCES } from "../../src/client/types.js";

/** One select per resource: none, read, write or both (`OR.X`). */
export function ScopePicker({ scopes, onChange }: { scopes: string[]; onChange: (scopes: string[]) => void }) {
  const level = (r: string) => (scopes.includes(`OR.${r}`) ? "" : scopes.includes(`OR.${r}.Read`) ? ".Read" : scopes.includes(`OR.${r}.Write`) ? ".Write" : "none");
  const set = (r: string, value: string) => {
    const rest = scopes.filter((s) => s !== `OR.${r}` && !s.startsWith(`OR.${r}.`));
    onChange(value === "none" ? rest : [...rest, `OR.${r}${value}`]);
  };
  return (
    <fieldset class="scopes">
      <legend>Scopes</legend>
      {SCOPE_RESOURCES.map((r) => (
        <label key={r}>{r}
          <select name={`scope-${r}`} value={level(r)} onChange={(e) => set(r, e.currentTarget.value)}>
            <option value="none">none</option><option value=".Read">read</option><option value=".Write">write</option><option value="">read and write</option>
          </select>
        </label>
      ))}
    </fieldset>
  );
}
