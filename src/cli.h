/*
 * cli.h -- the subcommands of bouncewatch(1).  Each takes the arguments
 * after its name (argv[0] is the subcommand) and returns the exit status.
 */
#ifndef BW_CLI_H
#define BW_CLI_H

#include <stdint.h>
#include <time.h>

#include "parse.h"

struct conf;
struct classifier;

int	cli_classify(int, char **);
int	cli_import(int, char **);
int	cli_report(int, char **);
int	cli_prune(int, char **);
int	cli_suppressions(int, char **);
int	cli_reclassify(int, char **);
int	cli_status(int, char **);
int	cli_metrics(int, char **);

/*
 * The configuration: the file named by bouncewatch -c (BOUNCEWATCH_CONF),
 * else the installed one if it exists, else the compiled-in defaults.
 * Errors are printed; -1 on error.
 */
int	cli_config(struct conf *);
/* ... and the zone it names (*tz, to tz_free()); -1 (said, nothing to free). */
struct tz;
int	cli_config_tz(struct conf *, struct tz **);
/*
 * What every command that reads log lines needs: the configuration, the
 * parse context (clock, zone) and the classifier with the operator rules.
 * zone and rules given on the command line win over the configuration.
 * Errors are printed; -1 on error, with nothing left to free.
 */
struct reader {
	struct conf		*conf;
	struct parse_ctx	 ctx;
	struct classifier	*cl;
};
/*
 * 0, or -1 (said) with the exit status to end with in *status: 2 when
 * zone, given on the command line, is unknown, else 1.
 */
int	cli_reader_open(struct reader *, const char *zone, const char *rules,
	    int *status);
void	cli_reader_close(struct reader *);

/* "YYYY-MM-DD" -> days since the epoch; -1 if not a date. */
int64_t	cli_parse_day(const char *);

/*
 * The present time.  BOUNCEWATCH_NOW (seconds since the epoch, or
 * YYYY-MM-DDTHH:MM:SSZ) overrides the clock: the one boundary the tests
 * mock, so that year inference and "yesterday" are reproducible.
 */
time_t	cli_now(void);

#endif
