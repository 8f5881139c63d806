/**
 * The man page, `man/openmnt.1`, written in roff from the command table (`npm run man` regenerates
 * it; a test checks the committed page is current).
 */
import type { Command, Option } from 'commander';
import { VERSION } from '../version.js';
import { CLIENT_COMMAND_NAMES, NODE_COMMAND_NAMES, commandTable, ownOptions, sharedOptions } from './program.js';

/** Text as roff prints it: backslashes and hyphens escaped, no line starting as a request. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

function optionItem(o: Option): string {
  const [names, ...value] = o.flags.split(/ (?=[<[])/);
  const arg = value.length === 0 ? '' : ` \\fI${roff(value.join(' ').replace(/[<>]/g, ''))}\\fR`;
  const choices = o.argChoices ? ` (${o.argChoices.join(', ')})` : '';
  return `.TP\n.B ${roff(names!)}${arg}\n${roff(`${o.description}${choices}`)}\n`;
}

function commandSection(path: string, c: Command): string {
  const usage = c.usage();
  const aliases = c.aliases().length > 0 ? `Also: ${c.aliases().map((a) => `openmnt ${a}`).join(', ')}.\n` : '';
  const options = ownOptions(c);
  return (
    `.SS "openmnt ${roff(path)}${usage === '' ? '' : ` ${roff(usage)}`}"\n` +
    `${roff(c.description())}\n` +
    (aliases === '' ? '' : `.br\n${roff(aliases)}`) +
    (options.length === 0 ? '' : `.RS\n${options.map(optionItem).join('')}.RE\n`)
  );
}

export function manPage(program: Command = commandTable()): string {
  const find = (path: string) => path.split(' ').reduce<Command>((c, n) => c.commands.find((x) => x.name() === n)!, program);
  const node = NODE_COMMAND_NAMES;
  const shared = sharedOptions(find('count'));
  return `.\\" Generated from the command table (src/cli/program.ts) by: npm run man. Do not edit.
.TH OPENMNT 1 "" "OpenMnT ${VERSION}" "User Commands"
.SH NAME
openmnt \\- ${roff(program.description())}
.SH SYNOPSIS
.B openmnt
.I command
.RI [ options ]
.br
.B openmnt
.I command
.B \\-\\-help
.br
.B openmnt \\-\\-version
.SH DESCRIPTION
OpenMnT keeps a live directory of endpoint sessions from RADIUS and answers the Cisco ISE MnT REST
API. \\fBopenmnt serve\\fR runs the node; \\fBopenmnt admin\\fR manages its API accounts. Every other
command is a client: it speaks only HTTP(S) to an MnT node \\(em OpenMnT or a real Cisco ISE \\(em so
the same command works in a terminal, in cron and against either.
.PP
Each command takes only its own options (besides the shared connection and output ones): an
option another command takes is a usage error that lists what this one takes, with a suggestion
when the option looks like a misspelling.
.SH "NODE COMMANDS"
${node.map((n) => commandSection(n, find(n))).join('')}.SH "CLIENT COMMANDS"
${CLIENT_COMMAND_NAMES.map((n) => commandSection(n, find(n))).join('')}.SH "CONNECTION AND OUTPUT OPTIONS"
Every client command takes these. The target comes from the flags first, then a profile, then the
environment the Cisco cookbook uses.
${shared.map(optionItem).join('')}.SH ENVIRONMENT
.TP
.B ISE_MNT_IP\\fR, \\fBISE_PAN_FQDN
the MnT node when \\fB\\-\\-host\\fR is not given
.TP
.B ISE_API_USER\\fR, \\fBISE_API_PASS
API user and password
.TP
.B OPENMNT_PROFILES
the profile file (default \\fI~/.config/openmnt/profiles.yaml\\fR)
.TP
.B OPENMNT_CONFIG
the configuration file of \\fBserve\\fR when \\fB\\-\\-config\\fR is not given
.TP
.B OPENMNT_\\fIPATH\\fR
overrides one setting: segments of its path in upper snake case joined by "__",
e.g. OPENMNT_RADIUS__AUTH__PORT=11812
.TP
.B COLUMNS
table width when the output is not a terminal
.SH FILES
.TP
.I openmnt.yaml
the configuration (\\fI/etc/openmnt/openmnt.yaml\\fR as a service); \\fBopenmnt config\\-schema\\fR prints its JSON Schema
.TP
.I ~/.config/openmnt/profiles.yaml
named targets, e.g. lab: { host: mnt.lab:443, user: ops, password: ..., insecure: true }; a file
holding a password must be readable by its owner only
.SH "EXIT STATUS"
.TP
.B 0
done (a CoA acknowledged by the NAS; serve stopped cleanly)
.TP
.B 1
failed (a CoA refused or unanswered, a connection error)
.TP
.B 2
usage error (an unknown command or option, a bad value)
.TP
.B 3
authentication or permission refused
.TP
.B 4
not found (no such session)
.SH EXAMPLES
.nf
export ISE_MNT_IP=mnt.example.net ISE_API_USER=ops ISE_API_PASS=...
openmnt sessions \\-\\-nas 10.1.1.10 \\-\\-format csv > sessions.csv
openmnt session C8:5B:76:C6:59:62
openmnt auth\\-logs C8:5B:76:C6:59:62
openmnt coa \\-\\-mac C8:5B:76:C6:59:62 \\-\\-action reauth
openmnt coa bulk \\-\\-nas 10.1.1.10 \\-\\-action bounce \\-\\-rate 10 \\-\\-yes
source <(openmnt completion bash)
.fi
.SH "SEE ALSO"
The README of OpenMnT, and \\fBopenmnt COMMAND \\-\\-help\\fR.
`;
}
