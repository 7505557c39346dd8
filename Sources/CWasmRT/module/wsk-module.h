/*
 * The module side of wskrt.h, compiled into every compiled actor module.
 * The compiler builds one translation unit:
 *
 *   #include "wsk-module.h"    this file: the hooks the generated code uses
 *   #include "module.c"        wasm2c's output (-n wsk), with the hooks inserted
 *   #include "wsk-module.c"    the wsk_* exports the host calls
 *   #include "imports.c"       one trampoline per imported host call, from the ABI table
 *
 * It is not built into wskdesk (Package.swift excludes this folder).
 */
#include "wskrt.h"

/* The host runtime, set once by wsk_module_init before anything else runs. */
static const wskrt_api* wsk_api;

/* wasm2c allocates memories and tables where `instance` is in scope; the
 * actor's limits come from it. Growth stops at the maximum set here. */
#define wasm_rt_allocate_memory(memory, initial, max)                                                  \
  wsk_api->allocate_memory((memory), (initial), (max), instance->wsk.env->config.memory_limit_pages, \
                           WASM_RT_MEMCHECK_SIGNAL_HANDLER)
#define wasm_rt_allocate_funcref_table(table, initial, max) \
  wsk_api->allocate_funcref_table((table), (initial), (max), instance->wsk.env->config.table_limit)
#define wasm_rt_allocate_externref_table(table, initial, max) \
  wsk_api->allocate_externref_table((table), (initial), (max), instance->wsk.env->config.table_limit)

/* The watchdog: `cost` units per function entry or loop iteration (the
 * compiler counts the statements that entry runs), refilled by host calls. */
#define WSK_FUEL(cost)                                                                   \
  do {                                                                                   \
    if (UNLIKELY((instance->wsk.fuel -= (cost)) < 0)) wasm_rt_trap(WSKRT_TRAP_FUEL);    \
  } while (0)

/* Inserted at each function entry, in place of wasm2c's FUNC_PROLOGUE: the
 * native stack, then the fuel. */
#define WSK_FUNC_ENTRY(cost)                                                             \
  do {                                                                                   \
    if (UNLIKELY((uintptr_t)__builtin_frame_address(0) < instance->wsk.stack_limit))    \
      wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);                                             \
    WSK_FUEL(cost);                                                                      \
  } while (0)

/* Inserted after each loop label. */
#define WSK_LOOP_ENTRY(cost) WSK_FUEL(cost)

/* call_indirect, in place of wasm2c's: says which check failed, as the interpreter does. */
static inline void wsk_check_indirect(const wasm_rt_funcref_table_t* table, uint32_t index, uint32_t type) {
  if (UNLIKELY(index >= table->size)) wsk_api->trap_detail(WSKRT_TRAP_UNDEFINED_ELEMENT, index, 0);
  if (UNLIKELY(table->data[index].func == NULL)) wsk_api->trap_detail(WSKRT_TRAP_NULL_ELEMENT, index, 0);
  if (UNLIKELY(table->data[index].func_type != type))
    wsk_api->trap_detail(WSKRT_TRAP_TYPE_MISMATCH, type, table->data[index].func_type);
}

#define CALL_INDIRECT(table, t, ft, x, ...) \
  (wsk_check_indirect(&(table), (x), func_types[ft]), ((t)(table).data[x].func)(__VA_ARGS__))

/* wasm2c's table helpers, instrumented: a table access out of bounds, at `index`. */
#define WSK_TABLE_TRAP(index) (wsk_api->trap_detail(WSKRT_TRAP_UNDEFINED_ELEMENT, (uint64_t)(index), 0), 0)
