/*
 * store_pg_dl.h -- libpq, loaded when a PostgreSQL database is opened
 * (store_pg_dl.c).  Included by store_pg.h after <libpq-fe.h>: each PQ
 * function the backend calls becomes a call through pg_dl, the table
 * pg_dl_load fills.  A new PQ function is added here, to the table and
 * to the list in store_pg_dl.c.
 */
#ifndef BW_STORE_PG_DL_H
#define BW_STORE_PG_DL_H

#include <stddef.h>

#include <libpq-fe.h>

/* The client library, where no BOUNCEWATCH_LIBPQ names another file. */
#ifndef PG_DL_LIBRARY
#define PG_DL_LIBRARY	"libpq.so.5"
#endif

struct pg_dl {
	void		 (*PQclear)(PGresult *);
	char		*(*PQcmdStatus)(PGresult *);
	char		*(*PQcmdTuples)(PGresult *);
	PGconn		*(*PQconnectdbParams)(const char *const *,
			    const char *const *, int);
	char		*(*PQerrorMessage)(const PGconn *);
	PGresult	*(*PQexec)(PGconn *, const char *);
	PGresult	*(*PQexecParams)(PGconn *, const char *, int,
			    const Oid *, const char *const *, const int *,
			    const int *, int);
	void		 (*PQfinish)(PGconn *);
	void		 (*PQfreemem)(void *);
	PGresult	*(*PQgetResult)(PGconn *);
	int		 (*PQgetisnull)(const PGresult *, int, int);
	int		 (*PQgetlength)(const PGresult *, int, int);
	char		*(*PQgetvalue)(const PGresult *, int, int);
	int		 (*PQntuples)(const PGresult *);
	int		 (*PQputCopyData)(PGconn *, const char *, int);
	int		 (*PQputCopyEnd)(PGconn *, const char *);
	void		 (*PQreset)(PGconn *);
	char		*(*PQresultErrorField)(const PGresult *, int);
	char		*(*PQresultErrorMessage)(const PGresult *);
	ExecStatusType	 (*PQresultStatus)(const PGresult *);
	ConnStatusType	 (*PQstatus)(const PGconn *);
	PGTransactionStatusType (*PQtransactionStatus)(const PGconn *);
	unsigned char	*(*PQunescapeBytea)(const unsigned char *, size_t *);
};

extern struct pg_dl	 pg_dl;

int	pg_dl_load(char *, size_t);

#ifndef PG_DL_SELF
#define PQclear			(*pg_dl.PQclear)
#define PQcmdStatus		(*pg_dl.PQcmdStatus)
#define PQcmdTuples		(*pg_dl.PQcmdTuples)
#define PQconnectdbParams	(*pg_dl.PQconnectdbParams)
#define PQerrorMessage		(*pg_dl.PQerrorMessage)
#define PQexec			(*pg_dl.PQexec)
#define PQexecParams		(*pg_dl.PQexecParams)
#define PQfinish		(*pg_dl.PQfinish)
#define PQfreemem		(*pg_dl.PQfreemem)
#define PQgetResult		(*pg_dl.PQgetResult)
#define PQgetisnull		(*pg_dl.PQgetisnull)
#define PQgetlength		(*pg_dl.PQgetlength)
#define PQgetvalue		(*pg_dl.PQgetvalue)
#define PQntuples		(*pg_dl.PQntuples)
#define PQputCopyData		(*pg_dl.PQputCopyData)
#define PQputCopyEnd		(*pg_dl.PQputCopyEnd)
#define PQreset			(*pg_dl.PQreset)
#define PQresultErrorField	(*pg_dl.PQresultErrorField)
#define PQresultErrorMessage	(*pg_dl.PQresultErrorMessage)
#define PQresultStatus		(*pg_dl.PQresultStatus)
#define PQstatus		(*pg_dl.PQstatus)
#define PQtransactionStatus	(*pg_dl.PQtransactionStatus)
#define PQunescapeBytea		(*pg_dl.PQunescapeBytea)
#endif

#endif
