// Help text laid out as boost::program_options prints an options_description (80 columns,
// descriptions in one column, wrapped at word boundaries), so `blksnapctl help` reads like
// the upstream tool's.
import type { OptionSpec } from './argv';

const LINE_LENGTH = 80;
const MIN_DESCRIPTION_LENGTH = 40;
/** boost starts the name column at 23 characters whatever the names. */
const MIN_NAME_COLUMN = 23;

function nameColumn(o: OptionSpec): string {
  const name = o.short ? `-${o.short} [ --${o.long} ]` : `--${o.long}`;
  return `  ${name} ${o.kind === 'switch' ? '' : 'arg'}`;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** One line per option (more where a description wraps), each ending in a newline. */
export function formatOptions(options: readonly OptionSpec[]): string {
  const names = options.map(nameColumn);
  const width = Math.min(Math.max(MIN_NAME_COLUMN, ...names.map((n) => n.length)), LINE_LENGTH - MIN_DESCRIPTION_LENGTH - 1) + 1;
  const indent = ' '.repeat(width);
  let text = '';
  options.forEach((o, i) => {
    const name = names[i]!;
    text += name.length >= width ? `${name}\n${indent}` : name.padEnd(width);
    text += wrap(o.description, LINE_LENGTH - width).join(`\n${indent}`) + '\n';
  });
  return text;
}

/** A verb's usage: its purpose, its options, an empty line (upstream's PrintUsage). */
export function formatVerbUsage(purpose: string, options: readonly OptionSpec[]): string {
  return `${purpose}\n${formatOptions(options)}\n`;
}
