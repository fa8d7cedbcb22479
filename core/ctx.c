/* core/ctx.c - the engine context: configuration, resolved directories and the
 * driver registry, shared by every verb. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "engine.h"
#include "util.h"

static char *resolve(const char *opt, const char *env, const char *cfg, const char *def)
{
    const char *e = env ? getenv(env) : NULL;

    if (opt && *opt)
        return xstrdup(opt);
    if (e && *e)
        return xstrdup(e);
    if (cfg && *cfg)
        return xstrdup(cfg);
    return xstrdup(def);
}

int engine_ctx_new(const struct engine_ctx_opts *o, struct engine_ctx **ret,
                   struct engine_error *err)
{
    struct engine_ctx *ctx = xcalloc(1, sizeof(*ctx));
    const char *path = o->config_path;
    bool optional = false;
    char exe[PATH_MAX];
    ssize_t n;
    int q;

    if (!path || !*path)
        path = getenv("ENGINE_CONFIG");
    if (!path || !*path) {
        path = ENGINE_DEFAULT_CONFIG;
        optional = true;
    }
    q = engine_config_load(path, optional, &ctx->cfg, err);
    if (q < 0)
        goto fail;
    for (size_t i = 0; o->exec_opts && o->exec_opts[i]; i++) {
        const char *def = engine_config_pick_driver(&ctx->cfg, NULL, o->daemon_driver);
        q = engine_config_add_exec_opt(&ctx->cfg, o->exec_opts[i], def, err);
        if (q < 0)
            goto fail;
    }
    ctx->state_dir =
        resolve(o->state_dir, "ENGINE_STATE_DIR", ctx->cfg.state_dir, ENGINE_DEFAULT_STATE_DIR);
    ctx->root = resolve(o->root, "ENGINE_ROOT", ctx->cfg.root, ENGINE_DEFAULT_ROOT);
    ctx->daemon_driver = xstrdup(o->daemon_driver);
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        ctx->self_exe = xstrdup(exe);
    }
    ctx->reg.lazy = true;
    ctx->reg.state_dir = ctx->state_dir;
    ctx->reg.root = ctx->root;
    q = engine_registry_scan(&ctx->reg, &ctx->cfg, err);
    if (q < 0)
        goto fail;
    *ret = ctx;
    return 0;
fail:
    engine_ctx_free(ctx);
    return q;
}

void engine_ctx_free(struct engine_ctx *ctx)
{
    if (!ctx)
        return;
    engine_registry_free(&ctx->reg);
    engine_config_free(&ctx->cfg);
    free(ctx->state_dir);
    free(ctx->root);
    free(ctx->daemon_driver);
    free(ctx->self_exe);
    free(ctx);
}
