/*
 * An actor's wsk_instantiate and wsk_start: the module exports `memory` and
 * `_start` (ModuleCheck, ModuleRewrite). Included after wsk-module.c.
 */
/* Globals, memory (with its data segments) and tables. Traps on a segment out
 * of bounds or a limit, leaving a half-built instance for wsk_instance_free. */
WSK_EXPORT void wsk_instantiate(void* opaque) {
  wsk_instance* instance = opaque;
#if WSK_IMPORTS_ENV
  Z_wsk_instantiate(&instance->module, &instance->env);
#else
  Z_wsk_instantiate(&instance->module);
#endif
  instance->env.memory = Z_wskZ_memory(&instance->module);
}

/* Runs `_start` on the calling thread, whose stack bounds the recursion. */
WSK_EXPORT void wsk_start(void* opaque) {
  wsk_instance* instance = opaque;
  wsk_enter(instance, instance->env.memory);
  Z_wskZ__start(&instance->module);
}
