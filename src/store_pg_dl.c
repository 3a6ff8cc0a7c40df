/*
 * store_pg_dl.c -- loads libpq the first time a PostgreSQL database is
 * opened and fills pg_dl, through which the backend calls it.
 *
 * Linked in, libpq maps 25 more libraries (OpenSSL, GnuTLS, Kerberos,
 * LDAP, SASL...) into every run: 5.5 MiB of resident memory and their
 * relocations, for each `bouncewatch status` and each import into SQLite,
 * which never call it.  Loaded here, only the runs that use a server pay
 * for it (as systemd loads its optional libraries, and Postfix its
 * pgsql: tables).  BOUNCEWATCH_LIBPQ names another file (a libpq built
 * elsewhere); without it the soname the build was made against.
 */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_DL_SELF	/* the real names: the table is filled here */
#include "store_pg_dl.h"

struct pg_dl	 pg_dl;

#define PG_DL_SYM(n)	{ #n, offsetof(struct pg_dl, n) }
static const struct {
	const char	*name;
	size_t		 off;
} pg_dl_syms[] = {
	PG_DL_SYM(PQclear),
	PG_DL_SYM(PQcmdStatus),
	PG_DL_SYM(PQcmdTuples),
	PG_DL_SYM(PQconnectdbParams),
	PG_DL_SYM(PQerrorMessage),
	PG_DL_SYM(PQexec),
	PG_DL_SYM(PQexecParams),
	PG_DL_SYM(PQfinish),
	PG_DL_SYM(PQfreemem),
	PG_DL_SYM(PQgetResult),
	PG_DL_SYM(PQgetisnull),
	PG_DL_SYM(PQgetlength),
	PG_DL_SYM(PQgetvalue),
	PG_DL_SYM(PQntuples),
	PG_DL_SYM(PQputCopyData),
	PG_DL_SYM(PQputCopyEnd),
	PG_DL_SYM(PQreset),
	PG_DL_SYM(PQresultErrorField),
	PG_DL_SYM(PQresultErrorMessage),
	PG_DL_SYM(PQresultStatus),
	PG_DL_SYM(PQstatus),
	PG_DL_SYM(PQtransactionStatus),
	PG_DL_SYM(PQunescapeBytea),
};

static pthread_mutex_t	 pg_dl_mu = PTHREAD_MUTEX_INITIALIZER;
static int		 pg_dl_done;

/*
 * Load libpq once: 0, or -1 with why in err (the library or a function
 * missing).  A failed load is tried again at the next open: the package
 * may have been installed since.
 */
int
pg_dl_load(char *err, size_t len)
{
	const char	*file = getenv("BOUNCEWATCH_LIBPQ");
	void		*h, *f;
	size_t		 i;
	int		 rc = 0;

	if (file == NULL || *file == '\0')
		file = PG_DL_LIBRARY;
	pthread_mutex_lock(&pg_dl_mu);
	if (pg_dl_done)
		goto out;
	if ((h = dlopen(file, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, len, "cannot load %s, the PostgreSQL client library "
		    "(Debian: apt-get install libpq5): %s", file, dlerror());
		rc = -1;
		goto out;
	}
	for (i = 0; i < sizeof(pg_dl_syms) / sizeof(pg_dl_syms[0]); i++) {
		if ((f = dlsym(h, pg_dl_syms[i].name)) == NULL) {
			snprintf(err, len, "%s: no function %s: not a libpq this "
			    "bouncewatch can use", file, pg_dl_syms[i].name);
			dlclose(h);
			rc = -1;
			goto out;
		}
		/* POSIX: a data pointer from dlsym holds the function's address */
		memcpy((char *)&pg_dl + pg_dl_syms[i].off, &f, sizeof(f));
	}
	pg_dl_done = 1;
out:
	pthread_mutex_unlock(&pg_dl_mu);
	return rc;
}
