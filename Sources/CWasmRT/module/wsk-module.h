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
/* GCC at -O2 vectorizes a loop only if no rounds are left over for scalar
 * code, which a loop over a picture of any width has; its "cheap" model
 * allows them. (Clang vectorizes such loops at -O2 as it is.) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=cheap")
#endif

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
 * function's index on the shadow stack (wskrt_header), the native stack,
 * then the fuel. */
#define WSK_FUNC_ENTRY(cost, index)                                                      \
  do {                                                                                   \
    uint32_t wsk_depth = instance->wsk.depth;                                            \
    instance->wsk.frames[wsk_depth % WSKRT_FRAMES] = (index);                            \
    instance->wsk.depth = wsk_depth + 1;                                                 \
    if (UNLIKELY((uintptr_t)__builtin_frame_address(0) < instance->wsk.stack_limit))    \
      wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);                                             \
    WSK_FUEL(cost);                                                                      \
  } while (0)

/* In place of wasm2c's FUNC_EPILOGUE, which every return passes (wasm2c
 * writes `return` as a jump to it): the frame leaves the shadow stack. */
#define WSK_FUNC_EXIT instance->wsk.depth--

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

/* The accesses of a run of statements whose bounds were checked once, before
 * the run (HoistedChecks.swift): at `row` (the memory's base plus the run's
 * root address) plus a constant, with neither a check nor a barrier, so the
 * compiler may merge, reorder and vectorize them. The types are wasm2c's. */
#define WSK_ROW_LOAD(name, t1, t2, t3)                                         \
  static inline t3 wsk_row_##name(const uint8_t* row, uint64_t offset) {     \
    t1 value;                                                                \
    __builtin_memcpy(&value, row + offset, sizeof value);                    \
    return (t3)(t2)value;                                                    \
  }
#define WSK_ROW_STORE(name, t1, t2)                                                \
  static inline void wsk_row_##name(uint8_t* row, uint64_t offset, t2 value) {     \
    t1 wrapped = (t1)value;                                                        \
    __builtin_memcpy(row + offset, &wrapped, sizeof wrapped);                      \
  }
WSK_ROW_LOAD(i32_load, uint32_t, uint32_t, uint32_t)
WSK_ROW_LOAD(i64_load, uint64_t, uint64_t, uint64_t)
WSK_ROW_LOAD(f32_load, float, float, float)
WSK_ROW_LOAD(f64_load, double, double, double)
WSK_ROW_LOAD(i32_load8_s, int8_t, int32_t, uint32_t)
WSK_ROW_LOAD(i64_load8_s, int8_t, int64_t, uint64_t)
WSK_ROW_LOAD(i32_load8_u, uint8_t, uint32_t, uint32_t)
WSK_ROW_LOAD(i64_load8_u, uint8_t, uint64_t, uint64_t)
WSK_ROW_LOAD(i32_load16_s, int16_t, int32_t, uint32_t)
WSK_ROW_LOAD(i64_load16_s, int16_t, int64_t, uint64_t)
WSK_ROW_LOAD(i32_load16_u, uint16_t, uint32_t, uint32_t)
WSK_ROW_LOAD(i64_load16_u, uint16_t, uint64_t, uint64_t)
WSK_ROW_LOAD(i64_load32_s, int32_t, int64_t, uint64_t)
WSK_ROW_LOAD(i64_load32_u, uint32_t, uint64_t, uint64_t)
WSK_ROW_STORE(i32_store, uint32_t, uint32_t)
WSK_ROW_STORE(i64_store, uint64_t, uint64_t)
WSK_ROW_STORE(f32_store, float, float)
WSK_ROW_STORE(f64_store, double, double)
WSK_ROW_STORE(i32_store8, uint8_t, uint32_t)
WSK_ROW_STORE(i32_store16, uint16_t, uint32_t)
WSK_ROW_STORE(i64_store8, uint8_t, uint64_t)
WSK_ROW_STORE(i64_store16, uint16_t, uint64_t)
WSK_ROW_STORE(i64_store32, uint32_t, uint64_t)
/* Read once at the entry of a function that has such runs (the memory never
 * moves), so no store of the function makes the compiler read it again. */
#define WSK_MEMORY_BASE uint8_t* const wsk_memory_base = instance->w2c_memory.data
/* A run's row: the memory's base plus the run's root address. The empty asm
 * hides that it is the address the run's unchecked copy starts at too;
 * otherwise the compiler loads that first word once, above the test, for
 * both copies, and the vectorized copy is built around a scalar load. */
#define WSK_ROW(row, root)                              \
  uint8_t* row = wsk_memory_base + (uint64_t)(root);    \
  __asm__("" : "+r"(row))

/* A loop whose bounds were checked once, before it (HoistedChecks, "loops"):
 * its rounds, when its exit test is `iv + step * round == bound` with a
 * constant step: 1 + distance / |step| if |step| divides the distance (from
 * the first round's test value to the bound, modulo 2^32), else 0 (not
 * counted: the loop runs as wasm2c wrote it). */
static inline uint64_t wsk_loop_rounds(uint32_t distance, uint32_t step) {
  return distance % step == 0 ? (uint64_t)(distance / step) + 1 : 0;
}

/* At most this much fuel is charged at once for a whole loop: the fuel floor
 * (wskrt_interrupt) is looked at again no later than after this many units. */
#define WSK_LOOP_FUEL_MAX ((uint64_t)1 << 24)

/* The fuel of `rounds` rounds at `cost` each, charged at once when there is
 * enough of it (then no round of the loop could run dry: it runs without
 * the per-round check and leaves the same fuel), else nothing is charged and
 * the loop runs as wasm2c wrote it, running dry at the same round as the
 * interpreter. `rounds` is at most 2^32 and `cost` under 2^31. */
#define WSK_LOOP_FUEL(rounds, cost) wsk_take_loop_fuel(&instance->wsk, (rounds) * (uint64_t)(cost))
static inline int wsk_take_loop_fuel(wskrt_header* header, uint64_t units) {
  if (units > WSK_LOOP_FUEL_MAX) return 0;
  int64_t left = header->fuel - (int64_t)units;
  if (left < __atomic_load_n(&header->fuel_floor, __ATOMIC_RELAXED)) return 0;
  header->fuel = left;
  return 1;
}
