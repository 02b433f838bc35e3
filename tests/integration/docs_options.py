#!/usr/bin/python3
"""docs_options.py: compares the long options each `tlsrpt` command accepts
with its --help text and its man page; used by test_docs_options.sh.

usage: docs_options.py SRC HELPDIR EXEMPT COMMAND...
  SRC      the source tree (src/cmd/*.c, man/*)
  HELPDIR  holds NAME.help: the output of `tlsrpt NAME --help`
  EXEMPT   lines "COMMAND OPTION WHERE REASON" (COMMAND * = any, WHERE
           help, man or both): options deliberately left undocumented
Prints one result per line, fields separated by tabs:
  ok<TAB>DESCRIPTION  or  not ok<TAB>DESCRIPTION<TAB>DETAIL...

What a command accepts comes from the source, never from the docs: the
getopt_long() option tables (struct option NAME[] = {...}) of
src/cmd/cmd_NAME.c, plus send_long_options (send_options.c) for a command
that merges them with send_options_merge().

In a man page (mdoc), an option is *defined* for a command when it is in
that command's SYNOPSIS (after ".Nm tlsrpt NAME" or ".Nm ... .Cm NAME") or
in the head of an .It item in the command's scope: the page's commands
(NAME section: ".Nm tlsrpt-NAME" or ".Nm tlsrpt NAME"), narrowed to the
commands an .Ss heading names.  tlsrpt.1 (".Nm tlsrpt") holds the commands
without a page of their own, each under ".Ss NAME".  An option written
after "tlsrpt NAME" on one line (examples; a line ending in \\e continues)
is an example of that command.  Every other option named in a page is
prose and must be accepted by some command (or by `tlsrpt` itself: main.c).
"""
import os
import re
import sys

LONG_RE = re.compile(r'(?<![\w-])--(\[no-\])?([a-z0-9][a-z0-9-]*[a-z0-9])(?![\w-])')
FLAG_RE = re.compile(r'-[a-z0-9]([a-z0-9-]*[a-z0-9])?$')
# other programs in the examples: the options after them are theirs
FOREIGN = {'curl', 'pkg-config', 'sendmail', 'openssl', 'dig', 'swaks'}
TABLE_RE = re.compile(r'struct\s+option\s+\*?\s*(\w+)\s*\[\s*\]\s*=\s*\{(.*?)\n\s*\};', re.S)
MACROS = set("""Ad An Ap Ar At Bc Bd Bf Bk Bl Bo Bq Brc Bro Brq Bsx Bx Cd Cm D1 Db
Dc Dd Dl Do Dq Dt Dv Dx Ec Ed Ef Ek El Em En Eo Er Es Ev Ex Fa Fc Fd Fl Fn Fo
Fr Ft Fx Hf Ic In It Lb Li Lk Lp Ms Mt Nd Nm No Ns Nx Oc Oo Op Os Ot Ox Pa Pc
Pf Po Pp Pq Qc Ql Qo Qq Re Rs Rv Sc Sh Sm So Sq Ss St Sx Sy Ta Tn Ux Va Vt Xc
Xo Xr""".split())
DELIMS = set('|,.;:()[]!?')


def results():
    out = []

    def ok(desc):
        out.append('ok\t' + desc)

    def check(desc, details):
        if details:
            out.append('not ok\t' + desc + '\t' + '\t'.join(details))
        else:
            ok(desc)
    return out, ok, check


# ---- the source: what each command accepts ------------------------------

def strip_c_comments(text):
    return re.sub(r'/\*.*?\*/|//[^\n]*', ' ', text, flags=re.S)


def option_tables(path):
    """{table name: [long option names]} of a C file, and its text."""
    text = strip_c_comments(open(path, encoding='utf-8').read())
    tables = {}
    for m in TABLE_RE.finditer(text):
        tables[m.group(1)] = re.findall(r'\{\s*"([^"]+)"\s*,', m.group(2))
    return tables, text


def accepted_options(src, cmd, problems):
    """The long options `tlsrpt cmd` accepts, from its getopt_long tables."""
    path = os.path.join(src, 'src/cmd/cmd_%s.c' % cmd)
    tables, text = option_tables(path)
    opts = set()
    for names in tables.values():
        opts.update(names)
    merged = {}     # variable = send_options_merge(...)
    for m in re.finditer(r'(\w+)\s*=\s*send_options_merge\s*\(', text):
        merged[m.group(1)] = True
    if merged:
        stables, stext = option_tables(os.path.join(src, 'src/cmd/send_options.c'))
        body = re.search(r'\nsend_options_merge\s*\(.*?\n\}', stext, re.S)
        if 'send_long_options' not in stables or body is None or \
                'send_long_options' not in body.group(0):
            problems.append('%s: send_options_merge() no longer merges '
                            'send_long_options (send_options.c): update this test' % cmd)
        else:
            opts.update(stables['send_long_options'])
    # every getopt_long() call must use a table seen above
    for m in re.finditer(r'getopt_long\s*\(\s*\w+\s*,\s*\w+\s*,\s*'
                         r'(?:"(?:[^"\\]|\\.)*"|\w+)\s*,\s*(\w+)', text):
        table = m.group(1)
        if table not in tables and table not in merged:
            problems.append('%s: getopt_long() uses table "%s", which this test '
                            'cannot read' % (cmd, table))
    if 'getopt_long' in text and not opts:
        problems.append('%s: calls getopt_long() but no option table was found' % cmd)
    return opts


# ---- help texts --------------------------------------------------------

def long_options_in(text):
    """Long options written --name or --[no-]name in text."""
    opts = set()
    for m in LONG_RE.finditer(text):
        opts.add(m.group(2))
        if m.group(1):
            opts.add('no-' + m.group(2))
    return opts


# ---- man pages -----------------------------------------------------------

def unescape(s):
    return (s.replace('\\-', '-').replace('\\&', '').replace('\\e', '\\')
            .replace('\\(hy', '-'))


def macro_tokens(line):
    toks = re.findall(r'"(?:[^"]|"")*"|\S+', line)
    return [unescape(t[1:-1].replace('""', '"')) if t.startswith('"') else unescape(t)
            for t in toks]


class Page:
    """One man page: where each option is named and in which role."""

    def __init__(self, path, commands):
        self.path = path
        self.name = os.path.basename(path)
        self.commands = []      # the commands this page is about
        self.general = False    # tlsrpt.1: commands by .Ss heading
        self.defined = []       # (cmd, option, line, 'synopsis' or 'item')
        self.examples = []      # (cmd, option, line): after "tlsrpt CMD"
        self.prose = []         # (option, line): anything else
        self.headings = []      # .Ss headings
        self.xrefs = []         # (section, name, sec) of each .Xr
        self._parse(commands)

    def _parse(self, commands):
        section = subsection = None
        syn_cmd = None
        carry = None            # command of a "\e"-continued example line
        for no, raw in enumerate(open(self.path, encoding='utf-8'), 1):
            raw = raw.rstrip('\n')
            if raw.startswith('.\\"'):
                continue
            is_macro = raw.startswith('.')
            toks = macro_tokens(raw[1:]) if is_macro else raw.split()
            if is_macro and toks and toks[0] == 'Sh':
                section, subsection, syn_cmd = ' '.join(toks[1:]), None, None
                continue
            if is_macro and toks and toks[0] == 'Ss':
                subsection = ' '.join(toks[1:])
                self.headings.append(subsection)
                continue
            if is_macro and toks and toks[0] == 'Xr' and len(toks) >= 3:
                self.xrefs.append((section, toks[1], toks[2]))
            if section == 'NAME' and is_macro and toks and toks[0] == 'Nm':
                words = [t for t in toks[1:] if t not in DELIMS]
                if words == ['tlsrpt']:
                    self.general = True
                for i, w in enumerate(words):
                    if w.startswith('tlsrpt-') and w[7:] in commands:
                        self.commands.append(w[7:])
                    if w == 'tlsrpt' and i + 1 < len(words) and words[i + 1] in commands:
                        self.commands.append(words[i + 1])
                continue
            # walk the line: options, and "tlsrpt CMD" mentions
            cmd_here = carry
            item = is_macro and toks and toks[0] == 'It'
            if section == 'SYNOPSIS' and is_macro and toks and toks[0] == 'Nm':
                syn_cmd = None
            i = 0
            while i < len(toks):
                t = toks[i]
                if os.path.basename(t.strip("'\"")) in FOREIGN:
                    cmd_here = 'FOREIGN'
                    i += 1
                    continue
                if t == 'tlsrpt' or t.startswith('tlsrpt-'):
                    j = i + 1
                    if t == 'tlsrpt':
                        while j < len(toks) and toks[j] in ('Cm', 'Ic', 'Nm', 'Li'):
                            j += 1
                        name = toks[j] if j < len(toks) else None
                    else:
                        name = t[7:]
                    if name in commands:
                        cmd_here = name
                        if section == 'SYNOPSIS':
                            syn_cmd = name
                    i += 1
                    continue
                if section == 'SYNOPSIS' and is_macro and t == 'Cm' and syn_cmd is None \
                        and i + 1 < len(toks) and toks[i + 1] in commands:
                    syn_cmd = toks[i + 1]
                    i += 2
                    continue
                found = []
                if is_macro and t == 'Fl':
                    i += 1
                    while i < len(toks) and toks[i] not in MACROS:
                        a = toks[i].rstrip(',.;:')
                        if a not in DELIMS and FLAG_RE.match(a):
                            found.append(a[1:])
                        i += 1
                else:
                    found = sorted(long_options_in(t))
                    i += 1
                for opt in found:
                    self._place(opt, no, section, subsection, syn_cmd, cmd_here,
                                item, commands)
            carry = cmd_here if raw.rstrip().endswith('\\e') else None

    def _place(self, opt, no, section, subsection, syn_cmd, cmd_here, item, commands):
        if section == 'SYNOPSIS' and syn_cmd is not None:
            self.defined.append((syn_cmd, opt, no, 'synopsis'))
            return
        if item:
            scope = self.scope(subsection, commands)
            if scope:
                for c in scope:
                    self.defined.append((c, opt, no, 'item'))
                return
        if cmd_here == 'FOREIGN':
            return
        if cmd_here is not None:
            self.examples.append((cmd_here, opt, no))
            return
        self.prose.append((opt, no))

    def scope(self, subsection, commands):
        """The commands an .It item under subsection is about."""
        named = [w for w in re.findall(r'[a-z]+', subsection or '') if w in commands]
        if self.general:
            return named
        narrowed = [c for c in named if c in self.commands]
        return narrowed or list(self.commands)


def main():
    src, helpdir, exempt_path = sys.argv[1:4]
    commands = sys.argv[4:]
    out, ok, check = results()

    exempt = []     # (cmd, opt, where, reason)
    for line in open(exempt_path, encoding='utf-8'):
        f = line.split(None, 3)
        if len(f) == 4 and not f[0].startswith('#'):
            exempt.append((f[0], f[1], f[2], f[3].strip()))

    def exempted(cmd, opt, where):
        return any(c in ('*', cmd) and o == opt and w in (where, 'both')
                   for c, o, w, _ in exempt)

    problems = []
    accepted = {c: accepted_options(src, c, problems) for c in commands}
    check('every getopt_long() option table of src/cmd is read', problems)
    # `tlsrpt --help` and `tlsrpt --version`: compared by main() itself
    main_c = strip_c_comments(open(os.path.join(src, 'src/cmd/main.c'), encoding='utf-8').read())
    toplevel = set(re.findall(r'strcmp\(argv\[1\],\s*"--([a-z][a-z0-9-]*)"\)', main_c))
    everything = set().union(toplevel, *accepted.values())

    pages = [Page(p, commands) for p in
             sorted(os.path.join(src, 'man', f) for f in os.listdir(os.path.join(src, 'man'))
                    if re.search(r'\.[1-9]$', f))]
    general = [p for p in pages if p.general]
    if len(general) != 1:
        out.append('not ok\tman/tlsrpt.1 is the one page named "tlsrpt"\tfound: %s'
                   % ' '.join(p.name for p in general))
        print('\n'.join(out))
        return
    general = general[0]

    def primary(cmd):
        own = [p for p in pages if cmd in p.commands]
        return own[0] if own else general

    for cmd in commands:
        acc = accepted[cmd]
        helptext = open(os.path.join(helpdir, cmd + '.help'), encoding='utf-8').read()
        helped = long_options_in(helptext)
        fmt = lambda s: ' '.join('--' + o for o in sorted(s))
        missing = {o for o in acc - helped if not exempted(cmd, o, 'help')}
        check('%s: --help names every option it accepts' % cmd,
              ['missing from `tlsrpt %s --help`: %s' % (cmd, fmt(missing))] if missing else [])
        extra = helped - acc
        check('%s: --help names no option it does not accept' % cmd,
              ['in `tlsrpt %s --help` but not accepted: %s' % (cmd, fmt(extra))] if extra else [])

        page = primary(cmd)
        defined = {o for c, o, _, _ in page.defined if c == cmd}
        missing = {o for o in acc - defined if not exempted(cmd, o, 'man')}
        details = ['not in its SYNOPSIS or an .It item of man/%s: %s'
                   % (page.name, fmt(missing))] if missing else []
        items = {}
        for c, o, no, kind in page.defined:
            if c == cmd and kind == 'item':
                items.setdefault(o, []).append(str(no))
        details += ['man/%s: --%s has %d .It items (lines %s)'
                    % (page.name, o, len(v), ', '.join(v))
                    for o, v in sorted(items.items()) if len(v) > 1]
        check('%s: man/%s defines every option it accepts, once' % (cmd, page.name), details)
        extra = []
        for p in pages:
            for c, o, no, _ in p.defined:
                if c == cmd and o not in acc:
                    extra.append('man/%s:%d: --%s is defined for %s, which does not accept it'
                                 % (p.name, no, o, cmd))
            for c, o, no in p.examples:
                if c == cmd and o not in acc:
                    extra.append('man/%s:%d: --%s follows "tlsrpt %s", which does not accept it'
                                 % (p.name, no, o, cmd))
        check('%s: the man pages name no option it does not accept' % cmd, extra)

    prose = ['man/%s:%d: --%s' % (p.name, no, o)
             for p in pages for o, no in p.prose if o not in everything]
    check('every other option named in a man page is accepted by some command',
          ['no command accepts: ' + d for d in prose])

    stale = []
    for c, o, w, reason in exempt:
        cmds = commands if c == '*' else [c]
        if not any(o in accepted.get(x, ()) for x in cmds):
            stale.append('exempt "%s --%s" (%s): no such option' % (c, o, reason))
    check('every exemption names an option that exists', stale)

    # tlsrpt.1: the command list and SEE ALSO
    listed = set(general.headings)
    for p in [general]:
        for line in open(p.path, encoding='utf-8'):
            m = re.match(r'\.It Cm ([a-z]+)\s*$', line)
            if m:
                listed.add(m.group(1))
    missing = [c for c in commands if c not in listed]
    check('man/tlsrpt.1 describes every command (.Ss NAME or .It Cm NAME)',
          ['not described: ' + ' '.join(missing)] if missing else [])
    see_also = {(n, s.rstrip(',')) for sec, n, s in general.xrefs if sec == 'SEE ALSO'}
    missing = []
    for p in pages:
        if p is general:
            continue
        name, sec = p.name.rsplit('.', 1)
        if (name, sec) not in see_also:
            missing.append('%s(%s)' % (name, sec))
    check('man/tlsrpt.1 SEE ALSO lists every page of man/',
          ['missing: ' + ' '.join(missing)] if missing else [])
    print('\n'.join(out))


if __name__ == '__main__':
    main()
