/** `svc-codegen` CLI: the command table only; commands live in ./commands and load lazily. */
process.stderr.write('svc-codegen: not implemented yet\n');
process.exitCode = 1;
