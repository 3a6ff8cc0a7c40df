/*
 * bouncewatchd.c -- main() of bouncewatchd(8).
 */
#include "config.h"

#include <stdio.h>

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "bouncewatchd: not built yet\n");
	return 1;
}
