/* core/names.c - container names and ids, checked before they touch a path. */
#include "config.h"

#include <ctype.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>

#include "util.h"

#define NAME_MAX_LEN 64

int engine_name_validate(const char *name, struct engine_error *err)
{
    size_t len;

    if (!name || !*name)
        return engine_error_set(err, EINVAL, "Invalid container name: it is empty");
    len = strlen(name);
    if (len > NAME_MAX_LEN)
        return engine_error_set(err, EINVAL,
                                "Invalid container name '%.80s%s': %zu characters, at most %d",
                                name, len > 80 ? "..." : "", len, NAME_MAX_LEN);
    if (!isalnum((unsigned char)name[0]))
        return engine_error_set(err, EINVAL,
                                "Invalid container name '%s': it must start with a letter or "
                                "digit",
                                name);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!isalnum(c) && c != '_' && c != '.' && c != '-')
            return engine_error_set(err, EINVAL,
                                    "Invalid container name '%s': character '%c' is not allowed "
                                    "(only [A-Za-z0-9_.-])",
                                    name, isprint(c) ? c : '?');
    }
    if (engine_id_valid(name))
        return engine_error_set(err, EINVAL,
                                "Invalid container name '%s': it looks like a container id", name);
    return 0;
}

bool engine_id_valid(const char *id)
{
    size_t i;

    if (!id)
        return false;
    for (i = 0; id[i]; i++)
        if (!isxdigit((unsigned char)id[i]) || isupper((unsigned char)id[i]))
            return false;
    return i == 64;
}

void engine_id_generate(char ret[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[32];
    size_t got = 0;

    while (got < sizeof(raw)) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
        if (n <= 0)
            abort();
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof(raw); i++) {
        ret[2 * i] = hex[raw[i] >> 4];
        ret[2 * i + 1] = hex[raw[i] & 15];
    }
    ret[64] = '\0';
}
