/*
 * The wsk_* exports every compiled module shares, and its wasm_rt_* calls
 * forwarded to the host. Included after the generated code (see wsk-module.h),
 * then wsk-actor.c (an actor's wsk_instantiate and wsk_start) or, for the
 * spec tests only, the glue ModuleBuild writes for a spec module.
 */
#define WSK_EXPORT __attribute__((visibility("default")))

/* An instance: the module's state and its "env" side, in one allocation. */
typedef struct wsk_instance {
  Z_wsk_instance_t module;
  struct Z_env_instance_t env;
} wsk_instance;

/* wskrt_interrupt finds the header at the instance's address. */
_Static_assert(__builtin_offsetof(wsk_instance, module.wsk) == 0, "the wskrt_header must come first");

/* MARK: wasm-rt.h, forwarded */

bool wasm_rt_is_initialized(void) { return wsk_api != NULL; }
void wasm_rt_trap(wasm_rt_trap_t code) { wsk_api->trap(code); }

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  va_list types;
  va_start(types, results);
  uint32_t id = wsk_api->register_func_type(params, results, types);
  va_end(types);
  return id;
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* memory, uint32_t delta) { return wsk_api->grow_memory(memory, delta); }
void wasm_rt_free_memory(wasm_rt_memory_t* memory) { wsk_api->free_memory(memory); }

uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t* table, uint32_t delta, wasm_rt_funcref_t init) {
  return wsk_api->grow_funcref_table(table, delta, init);
}
uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t* table, uint32_t delta, wasm_rt_externref_t init) {
  return wsk_api->grow_externref_table(table, delta, init);
}
void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t* table) { wsk_api->free_funcref_table(table); }
void wasm_rt_free_externref_table(wasm_rt_externref_table_t* table) { wsk_api->free_externref_table(table); }

/* MARK: Exports (wskrt.h) */

/* Called by the host after each dlopen, one at a time; a second load of the
 * same object finds it initialized. */
WSK_EXPORT uint32_t wsk_module_init(const wskrt_api* api) {
  if (api->version != WSKRT_API_VERSION || api->size != sizeof(wskrt_api)) return 1;
  if (wsk_api == NULL) {
    wsk_api = api;
    Z_wsk_init_module();
  }
  return 0;
}

WSK_EXPORT void* wsk_instance_new(const wskrt_config* config) {
  wsk_instance* instance = calloc(1, sizeof(wsk_instance));
  if (instance == NULL) return NULL;
  instance->env.header = &instance->module.wsk;
  instance->env.config = *config;
  instance->module.wsk.env = &instance->env;
  instance->module.wsk.fuel = config->fuel_per_call;
  return instance;
}

/* Called by each entry that runs the module's code (wsk_start, a spec
 * test's export): the calling thread's stack bounds the recursion, the fuel
 * starts full, and with guard pages a fault in `memory` traps. */
static inline void wsk_enter(wsk_instance* instance, const wasm_rt_memory_t* memory) {
  instance->module.wsk.stack_limit = wsk_api->stack_limit();
  instance->module.wsk.fuel = instance->env.config.fuel_per_call;
  instance->module.wsk.depth = 0;
#if WASM_RT_MEMCHECK_SIGNAL_HANDLER
  wsk_api->guard(memory);
#else
  (void)memory;
#endif
}

WSK_EXPORT void wsk_instance_free(void* opaque) {
  wsk_instance* instance = opaque;
  if (instance == NULL) return;
  Z_wsk_free(&instance->module);
  free(instance);
}

/* MARK: Host calls */

/* What each trampoline of imports.c calls: refills the fuel, calls the host,
 * and unwinds the actor when the host says it has ended. */
static inline uint64_t wsk_host_call(struct Z_env_instance_t* env, uint32_t call, const uint64_t* args) {
  uint64_t result = 0;
  wasm_rt_memory_t* memory = env->memory;
  env->header->fuel = env->config.fuel_per_call;
#if WASM_RT_MEMCHECK_SIGNAL_HANDLER
  wsk_api->guard(NULL); /* the host's own faults stay its own */
#endif
  int32_t unwind = env->config.host_call(env->config.context, call, args, memory->data, memory->size, &result);
#if WASM_RT_MEMCHECK_SIGNAL_HANDLER
  wsk_api->guard(memory);
#endif
  if (UNLIKELY(unwind != 0)) wasm_rt_trap(WSKRT_TRAP_HOST_UNWIND);
  return result;
}
