/** Library messages in the command line's words. */
/**
 * A library message in the command line's words: an option named as a library caller
 * writes it, `{ threshold }` or `{ threshold: T }`, becomes the running command's flag,
 * `--threshold` or `--threshold T` (`{ resume: true }`: `--resume`). An option the
 * command has no flag for is left as it is; `aliases` names the flags that are not
 * the option's kebab-case form (`learningRate`: `--lr`).
 */
export function cliWording(message: string, flags: ReadonlySet<string>, aliases: ReadonlyMap<string, string> = new Map()): string {
  return message.replace(/\{ ([a-z][A-Za-z0-9]*)(?:: ([^{}]*?))? \}/g, (all, name: string, value: string | undefined) => {
    const flag = aliases.get(name) ?? `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (!flags.has(flag)) return all;
    return value === undefined || value === 'true' ? flag : `${flag} ${value.replace(/^'(.*)'$/, '$1')}`;
  });
}

