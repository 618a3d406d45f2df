process.stderr.write('gateway: not implemented yet\n');
process.exit(1);
