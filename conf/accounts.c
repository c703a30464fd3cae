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
};

void conf_use_system_accounts(void)
{
    conf_accounts = &system_accounts;
}
