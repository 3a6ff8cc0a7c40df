/*
 * bouncewatch.c -- main() of bouncewatch(1): dispatch to a subcommand.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "util.h"

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*summary;
} commands[] = {
	{ "classify", cli_classify, "classify log lines or one reply" },
	{ "import", cli_import, "import log files (plain or gzip) into the database" },
	{ "report", cli_report, "summarise the failures of a day or a range" },
	{ "prune", cli_prune, "delete failure detail older than N days" },
	{ "status", cli_status, "each source's state and the database's (exit 0, 1, 2)" },
	{ "metrics", cli_metrics, "print the counters for Prometheus, once" },
};

static void
usage(FILE *f)
{
	size_t	 i;

	fprintf(f, "usage: bouncewatch [-c FILE] [--version] COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < nitems(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nSee bouncewatch(1), or bouncewatch COMMAND --help.\n");
}

int
main(int argc, char **argv)
{
	size_t	 i;

	log_init("bouncewatch", 0, 0);
	if (argc >= 3 && strcmp(argv[1], "-c") == 0) {
		setenv("BOUNCEWATCH_CONF", argv[2], 1);
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("bouncewatch %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < nitems(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	log_warnx("unknown command \"%s\"", argv[1]);
	usage(stderr);
	return 2;
}
