/*
 * The module side of wskrt.h, compiled into every compiled actor module.
 * The compiler builds one translation unit:
 *
 *   #include "wsk-module.h"    this file: the hooks the generated code uses
 *   #include "module.c"        wasm2c's output (-n wsk), with the hooks inserted
 *   #include "wsk-module.c"    the wsk_* exports every module shares
 *   #include "wsk-actor.c"     an actor's wsk_instantiate and wsk_start
 *   #include "imports.c"       one trampoline per imported host call, from the ABI table
 *
 * (A spec test module has its own glue, spec.c, in place of the last two.)
 *
 * It is not built into wskdesk (Package.swift excludes this folder).
 */
#include "wskrt.h"

/* The host runtime, set once by wsk_module_init before anything else runs. */
static const wskrt_api* wsk_api;

/* wasm2c allocates memories and tables where `instance` is in scope; the
 * actor's limits and account come from it. Growth stops at the maximum set here. */
#define wasm_rt_allocate_memory(memory, initial, max) \
  wsk_api->allocate_memory((memory), (initial), (max), &instance->wsk.env->config, WASM_RT_MEMCHECK_SIGNAL_HANDLER)
#define wasm_rt_allocate_funcref_table(table, initial, max) \
  wsk_api->allocate_funcref_table((table), (initial), (max), &instance->wsk.env->config)
#define wasm_rt_allocate_externref_table(table, initial, max) \
  wsk_api->allocate_externref_table((table), (initial), (max), &instance->wsk.env->config)

/* The watchdog: `cost` units per function entry or loop iteration (the
 * compiler counts the statements that entry runs), refilled by host calls.
 * The floor is loaded afresh each time: another thread raises it to end the
 * actor (wskrt_interrupt). */
#define WSK_FUEL(cost)                                                                                   \
  do {                                                                                                   \
    if (UNLIKELY((instance->wsk.fuel -= (cost)) < __atomic_load_n(&instance->wsk.fuel_floor, __ATOMIC_RELAXED))) \
      wasm_rt_trap(WSKRT_TRAP_FUEL);                                                                     \
  } while (0)

/* After a bulk memory or table operation (memory.fill/copy/init,
 * table.fill/copy/init) that did not trap: its size in fuel, as the
 * interpreter charges it. `count` is at most 2^32 and `unit_bytes` at most a
 * page, so the product cannot overflow. */
#define WSK_BULK_FUEL(count, unit_bytes) \
  WSK_FUEL((int64_t)((uint64_t)(count) * (uint64_t)(unit_bytes) / instance->wsk.env->config.bulk_fuel_bytes))
#define WSK_MEMORY_BULK(count) WSK_BULK_FUEL((count), 1)
#define WSK_TABLE_BULK(count) WSK_BULK_FUEL((count), instance->wsk.env->config.table_element_fuel_bytes)
/* After memory.grow and table.grow: the pages or elements added, if any. */
#define WSK_MEMORY_GROWN(result, memory) \
  if ((result) != UINT32_MAX) WSK_BULK_FUEL((memory)->pages - (result), 65536)
#define WSK_TABLE_GROWN(result, table) \
  if ((result) != UINT32_MAX) WSK_TABLE_BULK((table)->size - (result))

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
