/*
 * cli.h -- the subcommands of bouncewatch(1).  Each takes the arguments
 * after its name (argv[0] is the subcommand) and returns the exit status.
 */
#ifndef BW_CLI_H
#define BW_CLI_H

#include <time.h>

int	cli_classify(int, char **);

/*
 * The present time.  BOUNCEWATCH_NOW (seconds since the epoch, or
 * YYYY-MM-DDTHH:MM:SSZ) overrides the clock: the one boundary the tests
 * mock, so that year inference and "yesterday" are reproducible.
 */
time_t	cli_now(void);

#endif
