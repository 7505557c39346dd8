/*
 * wskdesk's wasm-rt.h: the runtime interface that the C emitted by wasm2c
 * (wabt 1.0.32) is compiled against, in place of wabt's own header. Only what
 * that output uses is here.
 *
 * Where it differs from wabt's runtime:
 * - A trap unwinds to the innermost wskrt_run() on the trapping thread (the
 *   jmp_buf is thread-local), so many actors trap independently on many threads.
 * - Bounds checks are explicit (WASM_RT_MEMCHECK_SIGNAL_HANDLER 0: the
 *   generated code checks every access) unless a module is built with it 1:
 *   then its memory sits in an 8 GiB reservation that any 32-bit address plus
 *   offset stays inside, and the host's signal handler turns a fault in the
 *   running instance's reservation into a trap.
 * - No call-depth counter: the code wskdesk generates checks the native stack
 *   and its fuel at each function entry and loop header instead (wskrt.h).
 * - Linear memory is a reservation that never moves; `size` is 64-bit.
 *
 * Read by three parties: the host runtime (wasm-rt.c, built into wskdesk),
 * Swift (module CWasmRT) and every compiled module, next to which the
 * compiler writes the copy embedded in Sources/Interp/Compiled/RuntimeSources.swift
 * (scripts/gen-runtime-sources; a test fails when the copy is stale).
 */
#ifndef WASM_RT_H_
#define WASM_RT_H_

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define wasm_rt_memcpy __builtin_memcpy
#define wasm_rt_unreachable __builtin_unreachable
#define WASM_RT_NO_RETURN __attribute__((noreturn))

#ifndef WASM_RT_MEMCHECK_SIGNAL_HANDLER
#define WASM_RT_MEMCHECK_SIGNAL_HANDLER 0
#endif
#define WASM_RT_USE_STACK_DEPTH_COUNT 0

/* Why execution stopped. wabt's reasons first, then wskdesk's. */
typedef enum {
  WASM_RT_TRAP_NONE,
  WASM_RT_TRAP_OOB,                /* out-of-bounds linear memory (or table) access */
  WASM_RT_TRAP_INT_OVERFLOW,       /* integer overflow on divide or truncation */
  WASM_RT_TRAP_DIV_BY_ZERO,
  WASM_RT_TRAP_INVALID_CONVERSION, /* NaN to integer */
  WASM_RT_TRAP_UNREACHABLE,
  WASM_RT_TRAP_CALL_INDIRECT,      /* not raised: wskdesk's CALL_INDIRECT says which of the three below */
  WASM_RT_TRAP_UNCAUGHT_EXCEPTION,
  WASM_RT_TRAP_EXHAUSTION,         /* call stack exhausted */

  WSKRT_TRAP_FUEL = 32,            /* the watchdog: the fuel ran out between host calls */
  WSKRT_TRAP_HOST_UNWIND,          /* a host call ended the actor (sys_exit, or the kernel ended it) */
  WSKRT_TRAP_UNDEFINED_ELEMENT,    /* call_indirect past the table's end; detail a: the index */
  WSKRT_TRAP_NULL_ELEMENT,         /* call_indirect to a null element; a: the index */
  WSKRT_TRAP_TYPE_MISMATCH,        /* call_indirect type mismatch; a: expected type id, b: actual */
  WSKRT_TRAP_MEMORY_LIMIT,         /* initial memory past the actor's limit; a: its bytes */
  WSKRT_TRAP_TABLE_LIMIT,          /* initial table past the actor's limit; a: its elements */
  WSKRT_TRAP_NO_MEMORY,            /* the host could not reserve the memory or table */
  WSKRT_TRAP_OUT_OF_MEMORY,        /* the actor's account refused a new memory or table; a: the refusal (wskrt.h) */
} wasm_rt_trap_t;

typedef enum {
  WASM_RT_I32,
  WASM_RT_I64,
  WASM_RT_F32,
  WASM_RT_F64,
  WASM_RT_FUNCREF,
  WASM_RT_EXTERNREF,
} wasm_rt_type_t;

typedef void (*wasm_rt_function_ptr_t)(void);

/* A function in a table: its type id (wasm_rt_register_func_type), code and instance. */
typedef struct {
  uint32_t func_type;
  wasm_rt_function_ptr_t func;
  void* module_instance;
} wasm_rt_funcref_t;

static const wasm_rt_funcref_t wasm_rt_funcref_null_value = {0, NULL, NULL};

typedef void* wasm_rt_externref_t;

static const wasm_rt_externref_t wasm_rt_externref_null_value = NULL;

/* What an instance's memories and tables are charged to (wskrt.h). */
struct wskrt_config;

/* Linear memory: `size` bytes at `data`, inside a reservation of `reserved`
 * bytes that never moves (`max_pages` pages, or 8 GiB with guard pages).
 * Bytes past `size` are mapped inaccessible. Its `size` bytes are charged to
 * `owner`'s account while `data` is set. */
typedef struct {
  uint8_t* data;
  uint32_t pages, max_pages;
  uint64_t size;
  uint64_t reserved;
  const struct wskrt_config* owner;
  /* The module's own maximum (max_pages is at most the actor's limit): a
   * growth past it is the module's choice, not a limit refusing it. */
  uint32_t declared_max_pages;
} wasm_rt_memory_t;

/* A table: `size` elements at `data`, charged to `owner`'s account while `data` is set. */
typedef struct {
  wasm_rt_funcref_t* data;
  uint32_t max_size;
  uint32_t size;
  const struct wskrt_config* owner;
} wasm_rt_funcref_table_t;

typedef struct {
  wasm_rt_externref_t* data;
  uint32_t max_size;
  uint32_t size;
  const struct wskrt_config* owner;
} wasm_rt_externref_table_t;

/* The calls the generated code makes. In a compiled module they forward to
 * the host runtime through wskrt_api (wsk-module.h); the host implements
 * them in wasm-rt.c. Allocation takes the actor's limit there too. */
bool wasm_rt_is_initialized(void);
WASM_RT_NO_RETURN void wasm_rt_trap(wasm_rt_trap_t);
uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...);
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t*, uint32_t pages);
void wasm_rt_free_memory(wasm_rt_memory_t*);
uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t*, uint32_t delta, wasm_rt_funcref_t init);
uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t*, uint32_t delta, wasm_rt_externref_t init);
void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t*);
void wasm_rt_free_externref_table(wasm_rt_externref_table_t*);

#ifdef __cplusplus
}
#endif

#endif /* WASM_RT_H_ */
