/*
 * The wskdesk runtime for compiled Wasm actors: what the host (wasm-rt.c)
 * gives each compiled module, and what a module gives back.
 *
 * A compiled module is a shared object holding the wasm2c output of one
 * actor module plus wsk-module.h (its side of this contract). The host loads
 * it with dlopen, hands it the wskrt_api table once, and drives each instance
 * through the module's wsk_* exports, every call that can trap inside
 * wskrt_run(). Host calls leave the module through wskrt_env.host_call.
 *
 * Shared, like wasm-rt.h, by the host, Swift and every compiled module.
 */
#ifndef WSKRT_H_
#define WSKRT_H_

#include <stdarg.h>
#include <stdint.h>

#include "wasm-rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever this file changes what a compiled module expects. */
#define WSKRT_API_VERSION 4

/* The host runtime as a compiled module sees it: its wasm_rt_* calls forward here. */
typedef struct wskrt_api {
  uint32_t version; /* WSKRT_API_VERSION */
  uint32_t size;    /* sizeof(wskrt_api) */
  WASM_RT_NO_RETURN void (*trap)(wasm_rt_trap_t);
  WASM_RT_NO_RETURN void (*trap_detail)(wasm_rt_trap_t, uint64_t a, uint64_t b);
  uint32_t (*register_func_type)(uint32_t params, uint32_t results, va_list types);
  /* Memories and tables take the instance's limits from `owner` and charge
   * their bytes to its account; allocation traps when the account refuses.
   * `guarded`: reserve 8 GiB and let faults in it trap (wasm-rt.h). */
  void (*allocate_memory)(wasm_rt_memory_t*, uint32_t initial, uint32_t max, const struct wskrt_config* owner,
                          bool guarded);
  uint32_t (*grow_memory)(wasm_rt_memory_t*, uint32_t delta);
  void (*free_memory)(wasm_rt_memory_t*);
  void (*allocate_funcref_table)(wasm_rt_funcref_table_t*, uint32_t initial, uint32_t max,
                                 const struct wskrt_config* owner);
  uint32_t (*grow_funcref_table)(wasm_rt_funcref_table_t*, uint32_t delta, wasm_rt_funcref_t init);
  void (*free_funcref_table)(wasm_rt_funcref_table_t*);
  void (*allocate_externref_table)(wasm_rt_externref_table_t*, uint32_t initial, uint32_t max,
                                   const struct wskrt_config* owner);
  uint32_t (*grow_externref_table)(wasm_rt_externref_table_t*, uint32_t delta, wasm_rt_externref_t init);
  void (*free_externref_table)(wasm_rt_externref_table_t*);
  /* The lowest address Wasm frames may reach on the calling thread's stack. */
  uintptr_t (*stack_limit)(void);
  /* With guard pages: a fault in `memory` on this thread is a trap from now
   * until the innermost wskrt_run returns, or the next call (NULL: none, as
   * during a host call). */
  void (*guard)(const wasm_rt_memory_t* memory);
} wskrt_api;

/* How many of its innermost Wasm frames an instance keeps for a trap's backtrace. */
#define WSKRT_FRAMES 64

/* Inserted by the compiler as the first field of the module's instance, so
 * the checks at each function entry and loop header are one load away. An
 * instance pointer points at it. */
typedef struct wskrt_header {
  int64_t fuel;          /* units left before the watchdog fires; refilled by each host call */
  /* The fuel check fires when `fuel` drops below this: 0, until the actor is
   * ended while it runs (wskrt_interrupt, from any thread) sets INT64_MAX.
   * Only ever read by the instance, so that store cannot be lost. */
  int64_t fuel_floor;
  uintptr_t stack_limit; /* a frame below this address traps "call stack exhausted" */
  struct Z_env_instance_t* env;
  /* The Wasm frames entered and not yet left since the entry into the
   * module (a shadow stack): each function's entry writes its index at
   * frames[depth % WSKRT_FRAMES] and counts itself in `depth`, its exit
   * uncounts it. A trap unwinds without leaving, so after one they are its
   * backtrace (wskrt_backtrace). */
  uint32_t depth;
  uint32_t frames[WSKRT_FRAMES];
} wskrt_header;

/* A host call: `call` indexes the ABI's table of host calls (Kernel/ABI.swift),
 * `args` holds its arguments zero-extended to 64 bits, `memory` is the linear
 * memory at the moment of the call. Returns 0 with the result in `*result`, or
 * nonzero when the actor must unwind (it exited or was ended). */
typedef int32_t (*wskrt_host_call_fn)(void* context, uint32_t call, const uint64_t* args,
                                      uint8_t* memory, uint64_t memory_size, uint64_t* result);

/* Charges `bytes` (> 0) to the actor's account, or gives them back (< 0).
 * Returns WSKRT_CHARGED, or why the account refused (then nothing is charged).
 * Giving back always succeeds. */
typedef uint32_t (*wskrt_charge_fn)(void* account, int64_t bytes);

typedef enum {
  WSKRT_CHARGED = 0,
  WSKRT_REFUSED_ACTOR_LIMIT = 1, /* the actor's own limit */
  WSKRT_REFUSED_BUDGET = 2,      /* the budget of all actors together */
  /* Never a charge's answer: a memory.grow past memory_limit_pages
   * (wskrt_memory_refusal). */
  WSKRT_REFUSED_MEMORY_LIMIT = 3,
} wskrt_charge_result;

/* What the host gives one instance. */
typedef struct wskrt_config {
  wskrt_host_call_fn host_call;
  void* context;
  wskrt_charge_fn charge;
  void* account;
  int64_t fuel_per_call;
  uint32_t memory_limit_pages;
  uint32_t table_limit;
  /* Bulk memory and table operations cost one unit of fuel per this many
   * bytes moved, a table element counting `table_element_fuel_bytes`: the
   * interpreter's prices, so both tiers' watchdogs fire alike. */
  uint32_t bulk_fuel_bytes;
  uint32_t table_element_fuel_bytes;
} wskrt_config;

/* The instance of the import module "env", as wasm2c names it: one per
 * actor instance, passed to every import. */
struct Z_env_instance_t {
  wskrt_header* header;
  wasm_rt_memory_t* memory;
  wskrt_config config;
};

/* The exports of a compiled module, by name (dlsym). */
typedef uint32_t (*wsk_module_init_fn)(const wskrt_api*);     /* once per load; 0 when it accepts the api */
typedef void* (*wsk_instance_new_fn)(const wskrt_config*);    /* an uninstantiated instance, or NULL */
typedef void (*wsk_instance_entry_fn)(void* instance);        /* wsk_instantiate, wsk_start: inside wskrt_run */
typedef void (*wsk_instance_free_fn)(void* instance);         /* tolerates a half-built instance */

/* Host side. */

/* The table handed to each compiled module. */
const wskrt_api* wskrt_api_table(void);

/* Runs entry(argument) with this thread's trap handler armed: returns
 * WASM_RT_TRAP_NONE, or the trap that unwound it. Nests. */
uint32_t wskrt_run(void (*entry)(void*), void* argument);

/* For tests: overflows the calling thread's native stack inside wskrt_run;
 * returns the trap it became (WASM_RT_TRAP_EXHAUSTION). */
uint32_t wskrt_test_stack_overflow(void);

/* Makes `instance` (wsk_instance_new's), running on another thread or not
 * yet, trap WSKRT_TRAP_FUEL at its next function entry, loop header or bulk
 * operation. Safe from any thread while the instance exists. */
void wskrt_interrupt(void* instance);

/* The details of the last trap on this thread (see the trap codes). */
void wskrt_trap_details(uint64_t* a, uint64_t* b);

/* Why the last memory.grow that a limit refused on this thread, since its
 * outermost wskrt_run began, was refused: WSKRT_REFUSED_ACTOR_LIMIT,
 * WSKRT_REFUSED_BUDGET or WSKRT_REFUSED_MEMORY_LIMIT; WSKRT_CHARGED if none
 * was. A growth past the module's own maximum is no such refusal. */
uint32_t wskrt_memory_refusal(void);

/* The Wasm frames of `instance` (wsk_instance_new's) as its last trap left
 * them: writes the function indices of up to `capacity` of the innermost,
 * innermost first, to `indices`, and returns how many frames there were in
 * all (more than it wrote when they are deeper than `capacity` or
 * WSKRT_FRAMES). */
uint32_t wskrt_backtrace(const void* instance, uint32_t* indices, uint32_t capacity);

/* The signature of a registered function type: writes up to `capacity` value
 * types (parameters, then results) to `types`; returns 0 for an unknown id. */
uint32_t wskrt_func_type(uint32_t id, uint32_t* params, uint32_t* results, uint8_t* types, uint32_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* WSKRT_H_ */
