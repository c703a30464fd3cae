/* accounts.c - the system's user and group database for conf/ (see
 * conf_accounts in conf.h). A separate object, so that only programs that
 * call conf_use_system_accounts() link glibc's NSS functions. */
#include <grp.h>
#include <pwd.h>

#include "conf.h"

static const struct conf_accounts system_accounts = {
    .by_name = getpwnam,
    .by_uid = getpwuid,
    .group_by_name = getgrnam,
#ifndef __GLIBC__
    /* musl has no NSS: say so, an LDAP or sssd user is not "no such user" */
    .user_source = "/etc/passwd or nscd (tend is built with musl, without NSS)",
    .group_source = "/etc/group or nscd (tend is built with musl, without NSS)",
#endif
};

void conf_use_system_accounts(void)
{
    conf_accounts = &system_accounts;
}
