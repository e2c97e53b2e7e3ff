import { Argument, type Command } from "commander";
import { JOB_STATES, SCOPES } from "../../client/index.js";
import { action, print } from "../output.js";

/** Values of options whose parser checks them (no commander choices to read them from). */
const OPTION_VALUES: Record<string, readonly string[]> = { "--state": JOB_STATES, "--scope": SCOPES };

interface Node {
  /** The command path as typed patterns: every alias combination, e.g. ["jobs ls", "jobs list"]. */
  paths: string[];
  children: string[];
  options: string[];
  /** Options that take a value: the word after them is not a command. */
  valued: string[];
  /** Values by option (e.g. --mode: async fire sync). */
  values: [string, readonly string[]][];
  /** Values of the first positional argument (completion: bash zsh). */
  args: readonly string[];
}

/** `baton completion bash|zsh`: a script generated from the commands themselves, so it cannot drift from them. */
export function registerCompletion(program: Command): void {
  program
    .command("completion")
    .description("print a shell completion script: source <(baton completion bash), or zsh after compinit")
    .addArgument(new Argument("<shell>", "bash or zsh").choices(["bash", "zsh"]))
    .action(action(async (shell: "bash" | "zsh") => {
      print(completionScript(program, shell));
    }));
}

export function completionScript(program: Command, shell: "bash" | "zsh"): string {
  const nodes = walk(program, [""]);
  const name = program.name();
  const fn = `_${name.replace(/\W/g, "_")}`;
  const helpers = [
    caseFunction(`${fn}_children`, nodes, (n) => n.children),
    caseFunction(`${fn}_options`, nodes, (n) => n.options),
    caseFunction(`${fn}_valued`, nodes, (n) => n.valued),
    caseFunction(`${fn}_args`, nodes, (n) => n.args),
    valuesFunction(`${fn}_values`, nodes),
  ].join("\n");
  // the command path: the words before the cursor that name (sub)commands, skipping option values
  if (shell === "bash") {
    return `# ${name} completion for bash. Load it with: source <(${name} completion bash)
${helpers}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local cmdpath="" w i skip=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    if [[ " $(${fn}_valued "$cmdpath") " == *" $w "* ]]; then skip=1; continue; fi
    if [[ " $(${fn}_children "$cmdpath") " == *" $w "* ]]; then cmdpath="\${cmdpath:+$cmdpath }$w"; fi
  done
  local words
  if [[ " $(${fn}_valued "$cmdpath") " == *" $prev "* ]]; then
    words="$(${fn}_values "$cmdpath" "$prev")"
  elif [[ "$cur" == -* ]]; then
    words="$(${fn}_options "$cmdpath")"
  else
    words="$(${fn}_children "$cmdpath") $(${fn}_args "$cmdpath")"
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F ${fn} ${name}
`;
  }
  return `#compdef ${name}
# ${name} completion for zsh. Load it with: source <(${name} completion zsh)   (after compinit)
${helpers}
${fn}() {
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}"
  local cmdpath="" w i skip=0
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    if ((skip)); then skip=0; continue; fi
    if [[ " $(${fn}_valued "$cmdpath") " == *" $w "* ]]; then skip=1; continue; fi
    if [[ " $(${fn}_children "$cmdpath") " == *" $w "* ]]; then cmdpath="\${cmdpath:+$cmdpath }$w"; fi
  done
  local -a candidates
  if [[ " $(${fn}_valued "$cmdpath") " == *" $prev "* ]]; then
    candidates=(\${=$(${fn}_values "$cmdpath" "$prev")})
  elif [[ "$cur" == -* ]]; then
    candidates=(\${=$(${fn}_options "$cmdpath")})
  else
    candidates=(\${=$(${fn}_children "$cmdpath")} \${=$(${fn}_args "$cmdpath")})
  fi
  compadd -- \${candidates[@]}
}
if (( \${+functions[compdef]} )); then compdef ${fn} ${name}; fi
`;
}

function walk(command: Command, paths: string[]): Node[] {
  const children = command.commands.flatMap((c) => [c.name(), ...c.aliases()]);
  if (paths[0] === "" && command.commands.length) children.push("help");
  const options = command.options.flatMap((o) => [o.short, o.long].filter((f): f is string => Boolean(f)));
  options.push("-h", "--help");
  const valuedOptions = command.options.filter((o) => o.required || o.optional);
  const node: Node = {
    paths,
    children,
    options,
    valued: valuedOptions.flatMap((o) => [o.short, o.long].filter((f): f is string => Boolean(f))),
    values: valuedOptions.flatMap((o) => {
      const values = o.argChoices ?? (o.long ? OPTION_VALUES[o.long] : undefined);
      return values ? [o.short, o.long].filter((f): f is string => Boolean(f)).map((f) => [f, values] as [string, readonly string[]]) : [];
    }),
    args: command.registeredArguments[0]?.argChoices ?? [],
  };
  const nested = command.commands.flatMap((c) => walk(c, paths.flatMap((p) => [c.name(), ...c.aliases()].map((n) => (p ? `${p} ${n}` : n)))));
  return [node, ...nested];
}

/** `name() { case "$1" in "jobs ls"|"jobs list") echo "…" ;; esac; }` */
function caseFunction(name: string, nodes: Node[], words: (n: Node) => readonly string[]): string {
  const arms = nodes.filter((n) => words(n).length).map((n) => `    ${n.paths.map((p) => `"${p}"`).join("|")}) echo "${words(n).join(" ")}" ;;`);
  return `${name}() {\n  case "$1" in\n${arms.join("\n")}\n  esac\n}`;
}

/** `name() { case "$1|$2" in "invoke|--mode"|"invoke|-m") echo "async fire sync" ;; esac; }` */
function valuesFunction(name: string, nodes: Node[]): string {
  const arms = nodes.flatMap((n) => n.values.map(([flag, values]) => `    ${n.paths.map((p) => `"${p}|${flag}"`).join("|")}) echo "${values.join(" ")}" ;;`));
  return `${name}() {\n  case "$1|$2" in\n${arms.join("\n")}\n  esac\n}`;
}
