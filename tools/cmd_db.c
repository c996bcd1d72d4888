/*
 * cmd_db.c - mtls db build|check|show: the identity database.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "db.h"
#include "idsrc.h"
#include "util.h"

struct db_opts {
	const char	*users;
	const char	*groups;
	const char	*db;
	const char	*passwd;
	const char	*group;
	uint32_t	 id_min, id_max;
	int		 quiet;
	const char	*config;	/* sync: mtls.conf */
	int		 db_given;	/* sync: --db, not mtls.conf's */
	int		 force, full, if_configured;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: mtls db build [OPTIONS]\n"
	    "       mtls db check [OPTIONS]\n"
	    "       mtls db show [--db FILE] [user NAME|uid N|group NAME|"
	    "gid N|member NAME]\n"
	    "       mtls db sync [--config FILE] [--full] [--force] "
	    "[--if-configured]\n"
	    "                    [OPTIONS]\n\n"
	    "build reads the identity sources, checks them and replaces the "
	    "database\natomically; on any error the old database stays. "
	    "check does the same\nchecks and also opens the current "
	    "database, writing nothing. show prints\nthe database (or one "
	    "entry) in passwd and group format. sync reads the\naccounts "
	    "from the LDAP directory that mtls.conf's db_sync names instead "
	    "of\nthe sources.\n\n"
	    "options:\n"
	    "  --users FILE    users source (default " MTLS_ID_USERS ")\n"
	    "  --groups FILE   groups source (default " MTLS_ID_GROUPS ")\n"
	    "  --db FILE       the database (default " MTLS_ID_DB ")\n"
	    "  --passwd FILE   system passwd to check against (default "
	    "/etc/passwd)\n"
	    "  --group FILE    system group to check against (default "
	    "/etc/group)\n"
	    "  --range LO-HI   allowed uids and gids (default %u-%u)\n"
	    "  -q, --quiet     no summary line\n"
	    "  --config FILE   sync: mtls.conf (default " MTLS_DEFAULT_CONFIG ")\n"
	    "  --full          sync: read the whole directory, not the "
	    "changes\n"
	    "  --force         sync: even when more than max_removed "
	    "accounts go\n"
	    "  --if-configured sync: exit 0 when no db_sync is set\n\n"
	    "See mtls-identity(5). Exit status: 0 done, 1 the sources or "
	    "the database\nare invalid (the reason is printed), 2 usage "
	    "error.\n", MTLS_ID_MIN_DEFAULT, MTLS_ID_MAX_DEFAULT);
}

static int
shell_ok(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 0111) != 0;
}

int
cli_idsrc_check(struct mtls_idsrc *src, const char *users, char *utext,
    size_t ulen, const char *groups, char *gtext, size_t glen,
    const struct cli_idsrc_env *ce, struct mtls_err *e)
{
	struct mtls_idsrc_env env;
	char *pw = NULL, *gr = NULL;
	size_t len;
	int r;

	memset(&env, 0, sizeof(env));
	if ((src->users_path = strdup(users)) == NULL ||
	    (src->groups_path = strdup(groups)) == NULL) {
		free(utext);
		free(gtext);
		return mtls_err_set(e, MTLS_E_NOMEM, NULL);
	}
	r = mtls_idsrc_parse_users(src, users, utext, ulen, e);
	if (r != 0) {		/* src owns utext now */
		free(gtext);
		return r;
	}
	if ((r = mtls_idsrc_parse_groups(src, groups, gtext, glen, e)) != 0)
		return r;
	if ((r = mtls_file_read_any(ce->passwd, "system passwd", 64 << 20,
	    &pw, &len, e)) != 0 || (r = mtls_file_read_any(ce->group,
	    "system group", 64 << 20, &gr, &len, e)) != 0)
		goto out;
	env.id_min = ce->id_min;
	env.id_max = ce->id_max;
	env.passwd = pw;
	env.group = gr;
	env.shell_ok = shell_ok;
	r = mtls_idsrc_check(src, &env, e);
 out:
	free(pw);
	free(gr);
	return r;
}

/* Read both sources and check them into src. */
static int
load_sources(const struct db_opts *o, struct mtls_idsrc *src,
    struct mtls_err *e)
{
	struct cli_idsrc_env ce = { o->passwd, o->group, o->id_min,
	    o->id_max };
	char *u = NULL, *g = NULL;
	size_t ulen, glen;
	int r;

	if ((r = mtls_file_read(o->users, "users source", MTLS_IDSRC_MAX_SIZE,
	    &u, &ulen, e)) != 0 || (r = mtls_file_read(o->groups,
	    "groups source", MTLS_IDSRC_MAX_SIZE, &g, &glen, e)) != 0) {
		free(u);
		return r;
	}
	return cli_idsrc_check(src, o->users, u, ulen, o->groups, g, glen,
	    &ce, e);
}

/* Serialize writers of one database with DB.lock (flock). */
int
cli_lock_db(const char *db, struct mtls_err *e)
{
	char path[4096];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s.lock", db) >=
	    sizeof(path))
		return mtls_err_set(e, MTLS_E_INVAL, "%s: path too long", db);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0)
		return mtls_err_set(e, MTLS_E_IO, "%s: %s", path,
		    strerror(errno));
	if (flock(fd, LOCK_EX) != 0) {
		close(fd);
		return mtls_err_set(e, MTLS_E_IO, "%s: %s", path,
		    strerror(errno));
	}
	return fd;
}

static int
do_build(const struct db_opts *o, int write)
{
	struct mtls_idsrc src;
	struct mtls_err e = { 0, "" };
	struct mtls_db db;
	struct timespec t0, t1;
	unsigned char *buf = NULL;
	size_t len = 0;
	int lock = -1, rc = EXIT_REJECTED;

	memset(&src, 0, sizeof(src));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (write && (lock = cli_lock_db(o->db, &e)) < 0)
		goto fail;
	if (load_sources(o, &src, &e) != 0)
		goto fail;
	if (mtls_db_build(src.users, src.n_users, src.groups, src.n_groups,
	    &buf, &len) != 0) {
		mtls_err_set(&e, MTLS_E_NOMEM, "cannot lay out the database");
		goto fail;
	}
	/* what we wrote must read back */
	if (mtls_db_open(&db, buf, len) != 0) {
		mtls_err_set(&e, MTLS_E_INTERNAL, "the built database does "
		    "not open");
		goto fail;
	}
	if (write && mtls_file_write_atomic(o->db, buf, len, 0644, &e) != 0)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!o->quiet)
		printf("%s: %u users, %u groups, %zu bytes%s (%.3f s)\n",
		    write ? o->db : "sources OK", src.n_users, src.n_groups,
		    len, write ? "" : " when built",
		    (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	rc = 0;
	goto out;
 fail:
	fprintf(stderr, "mtls db: %s%s\n", mtls_err_msg(&e),
	    write ? "; the database was not changed" : "");
 out:
	if (lock >= 0)
		close(lock);
	free(buf);
	mtls_idsrc_clear(&src);
	return rc;
}

static void
show_user(const struct mtls_db *db, const struct mtls_db_user *u)
{
	const char *v;
	uint32_t i;
	int k;

	printf("%s:*:%u:%u:%s:%s:%s\n", u->name, u->uid, u->gid, u->gecos,
	    u->home, u->shell);
	for (i = 0; i < u->n_principals; i++)
		if (mtls_db_user_principal(db, u, i, &k, &v) == 0)
			printf("\tprincipal %s %s\n",
			    mtls_principal_kind_name(k) ?
			    mtls_principal_kind_name(k) : "?", v);
}

static void
show_group(const struct mtls_db *db, const struct mtls_db_group *g)
{
	const char *m;
	uint32_t i;

	printf("%s:x:%u:", g->name, g->gid);
	for (i = 0; i < g->n_members; i++)
		if (mtls_db_group_member(db, g, i, &m) == 0)
			printf("%s%s", i ? "," : "", m);
	printf("\n");
}

static int
open_db(const char *path, char **buf, struct mtls_db *db)
{
	struct mtls_err e = { 0, "" };
	size_t len;

	if (mtls_file_read(path, "identity database", MTLS_DB_MAX_SIZE, buf,
	    &len, &e) != 0) {
		fprintf(stderr, "mtls db: %s\n", mtls_err_msg(&e));
		return -1;
	}
	if (mtls_db_open(db, *buf, len) != 0) {
		uint32_t ver = mtls_db_version(*buf, len);

		if (ver != 0 && ver != MTLS_DB_VERSION)
			fprintf(stderr, "mtls db: %s: format version %u, not "
			    "%u: run `mtls db build` to write it again\n",
			    path, ver, MTLS_DB_VERSION);
		else
			fprintf(stderr, "mtls db: %s: %s\n", path,
			    mtls_strerror(MTLS_E_CORRUPT));
		return -1;
	}
	return 0;
}

static int
do_show(const struct db_opts *o, int argc, char **argv)
{
	struct mtls_db db;
	struct mtls_db_user u;
	struct mtls_db_group g;
	unsigned long id;
	char *buf = NULL;
	uint32_t i, n, h, gid;
	int rc = EXIT_REJECTED, r;

	if (open_db(o->db, &buf, &db) != 0)
		goto out;
	if (argc == 0) {
		printf("# %s: %u users, %u groups\n", o->db, db.n_users,
		    db.n_groups);
		for (i = 0; i < db.n_users; i++)
			if (mtls_db_user_at(&db, i, &u) == 0)
				show_user(&db, &u);
		for (i = 0; i < db.n_groups; i++)
			if (mtls_db_group_at(&db, i, &g) == 0)
				show_group(&db, &g);
		rc = 0;
		goto out;
	}
	if (argc != 2) {
		usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((strcmp(argv[0], "uid") == 0 || strcmp(argv[0], "gid") == 0) &&
	    mtls_parse_uint(argv[1], 0, UINT32_MAX, &id) != 0) {
		fprintf(stderr, "mtls db show: %s: not a number\n", argv[1]);
		rc = EXIT_USAGE;
		goto out;
	}
	if (strcmp(argv[0], "user") == 0) {
		if ((r = mtls_db_user_by_name(&db, argv[1], &u)) == 0)
			show_user(&db, &u);
	} else if (strcmp(argv[0], "uid") == 0) {
		if ((r = mtls_db_user_by_uid(&db, (uint32_t)id, &u)) == 0)
			show_user(&db, &u);
	} else if (strcmp(argv[0], "group") == 0) {
		if ((r = mtls_db_group_by_name(&db, argv[1], &g)) == 0)
			show_group(&db, &g);
	} else if (strcmp(argv[0], "gid") == 0) {
		if ((r = mtls_db_group_by_gid(&db, (uint32_t)id, &g)) == 0)
			show_group(&db, &g);
	} else if (strcmp(argv[0], "member") == 0) {
		if ((r = mtls_db_memberships(&db, argv[1], &n, &h)) == 0) {
			for (i = 0; i < n; i++)
				if (mtls_db_membership_gid(&db, h, i, &gid) ==
				    0)
					printf("%u\n", gid);
			r = n > 0 ? 0 : MTLS_E_NOT_FOUND;
		}
	} else {
		usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (r != 0)
		fprintf(stderr, "mtls db show: %s %s: %s\n", argv[0], argv[1],
		    mtls_strerror(r));
	rc = r == 0 ? 0 : EXIT_REJECTED;
 out:
	free(buf);
	return rc;
}

int
cmd_db(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "users", required_argument, NULL, 'u' },
		{ "groups", required_argument, NULL, 'g' },
		{ "db", required_argument, NULL, 'd' },
		{ "passwd", required_argument, NULL, 'P' },
		{ "group", required_argument, NULL, 'G' },
		{ "range", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "config", required_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'f' },
		{ "full", no_argument, NULL, 'F' },
		{ "if-configured", no_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct db_opts o = { MTLS_ID_USERS, MTLS_ID_GROUPS, MTLS_ID_DB,
	    "/etc/passwd", "/etc/group", MTLS_ID_MIN_DEFAULT,
	    MTLS_ID_MAX_DEFAULT, 0, MTLS_DEFAULT_CONFIG, 0, 0, 0, 0 };
	struct cli_sync_opts so;
	const char *sub;
	char *db_check = NULL;
	struct mtls_db db;
	int ch, rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	sub = argv[1];
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc - 1, argv + 1, "+hq", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'u': o.users = optarg; break;
		case 'g': o.groups = optarg; break;
		case 'd': o.db = optarg; o.db_given = 1; break;
		case 'P': o.passwd = optarg; break;
		case 'G': o.group = optarg; break;
		case 'q': o.quiet = 1; break;
		case 'c': o.config = optarg; break;
		case 'f': o.force = 1; break;
		case 'F': o.full = 1; break;
		case 'I': o.if_configured = 1; break;
		case 'r':
			if (mtls_parse_id_range(optarg, &o.id_min,
			    &o.id_max) != 0) {
				fprintf(stderr, "mtls db: --range %s: expected "
				    "LO-HI within 1-2147483647\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	optind++;	/* past the subcommand's own name */
	if (strcmp(sub, "show") == 0)
		return do_show(&o, argc - optind, argv + optind);
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(sub, "sync") == 0) {
		so = (struct cli_sync_opts){ o.config, o.db_given ? o.db :
		    NULL, o.passwd, o.group,
		    o.id_min, o.id_max, o.quiet, o.force, o.full,
		    o.if_configured };
		return cli_db_sync(&so);
	}
	if (strcmp(sub, "build") == 0)
		return do_build(&o, 1);
	if (strcmp(sub, "check") != 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	rc = do_build(&o, 0);
	if (access(o.db, F_OK) == 0) {
		if (open_db(o.db, &db_check, &db) != 0)
			rc = EXIT_REJECTED;
		else if (!o.quiet)
			printf("%s: %u users, %u groups: OK\n", o.db,
			    db.n_users, db.n_groups);
		free(db_check);
	}
	return rc;
}
