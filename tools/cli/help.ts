/**
 * Help text fixes for cac (both CLIs): a `--no-x` flag reads "(default: true)", which says the
 * opposite of what it does (the feature is on by default; the flag turns it off); and the "For
 * more info" section tells you to run the very `--help` you just ran.
 * @internal
 */
export interface HelpSection {
  title?: string;
  body: string;
}

export function fixHelpSections(name: string, sections: HelpSection[]): HelpSection[] {
  return sections.map((s) => {
    let body = s.body.replace(
      /^(\s*--no-\S+.*?)\s*\(default: true\)\s*$/gm,
      '$1 (on by default; this flag turns it off)',
    );
    if (s.title?.startsWith('For more info')) {
      body = body
        .split('\n')
        .filter((l) => l.trim() !== `$ ${name} --help`)
        .join('\n');
    }
    // cac leaves a trailing space after options without a default
    body = body.replace(/[ \t]+$/gm, '');
    return { ...s, body };
  });
}

/** Installs the fixes as cac's help callback without cac's own `help()` (which prints while parsing). */
export function installHelpFix(cli: { globalCommand: unknown }, name: string): void {
  (cli.globalCommand as { helpCallback?: (s: HelpSection[]) => HelpSection[] }).helpCallback = (s) =>
    fixHelpSections(name, s);
}
