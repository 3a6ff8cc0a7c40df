/*
 * bouncewatch.c -- main() of bouncewatch(1): dispatch to a subcommand,
 * "help CMD", and the "bouncewatch CMD:" prefix of every message.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	{ "suppressions", cli_suppressions,
	    "list recipients that bounce permanently, for a suppression list" },
	{ "prune", cli_prune, "delete failure detail older than N days" },
	{ "reclassify", cli_reclassify, "apply today's rules again to stored failures" },
	{ "status", cli_status, "each source's state and the database's (exit 0, 1, 2)" },
	{ "metrics", cli_metrics, "print the counters for Prometheus, once" },
	{ "help", NULL, "help on a command: bouncewatch help COMMAND" },
};

static void
usage(FILE *f)
{
	size_t	 i;

	fprintf(f, "usage: bouncewatch [-c FILE] [--version] COMMAND [ARGS]\n\n"
	    "  -c FILE        the configuration file (default: " PATH_CONF ")\n"
	    "  -V, --version  print the version and exit\n"
	    "  -h, --help     print this help and exit\n\ncommands:\n");
	for (i = 0; i < nitems(commands); i++)
		fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nSee bouncewatch(1), or bouncewatch help COMMAND.\n");
}

/* Run a command, its messages (getopt's too) prefixed "bouncewatch CMD:". */
static int
run(size_t i, int argc, char **argv)
{
	static char	 prefix[64];

	snprintf(prefix, sizeof(prefix), "bouncewatch %s", commands[i].name);
	log_init(prefix, 0, 0);
	argv[0] = prefix;
	return commands[i].fn(argc, argv);
}

static int
find(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(commands); i++)
		if (commands[i].fn != NULL && strcmp(name, commands[i].name) == 0)
			return (int)i;
	return -1;
}

int
main(int argc, char **argv)
{
	char	*help[] = { NULL, (char *)"--help", NULL };
	int	 i;

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
	    (strcmp(argv[1], "help") == 0 && argc == 2)) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc != 3 || (i = find(argv[2])) == -1) {
			log_init("bouncewatch help", 0, 0);
			log_warnx("unknown command \"%s\"", argv[2]);
			usage(stderr);
			return 2;
		}
		help[0] = argv[2];
		optind = 1;
		return run((size_t)i, 2, help);
	}
	if ((i = find(argv[1])) != -1)
		return run((size_t)i, argc - 1, argv + 1);
	log_warnx("unknown command \"%s\"", argv[1]);
	usage(stderr);
	return 2;
}
