/*
 * The host side of wskdesk's Wasm runtime: traps with per-thread state,
 * function types, linear memories and tables with the actor's limits, the
 * stack limit of the calling thread, and (for modules built with guard
 * pages) the signal handler that turns their faults into traps. See wskrt.h.
 */
#define _GNU_SOURCE
#include "wskrt.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE_SIZE 65536u
/* With guard pages: any u32 address plus u32 offset plus a 16-byte access. */
#define GUARDED_RESERVATION ((1ull << 33) + PAGE_SIZE)

/* MARK: Traps */

/* The innermost wskrt_run on this thread, what the last trap said, and the
 * guarded memory whose faults are traps (guard pages only). */
static _Thread_local sigjmp_buf* current_run;
static _Thread_local wasm_rt_trap_t last_trap;
static _Thread_local uint64_t detail_a, detail_b;
static _Thread_local const wasm_rt_memory_t* guarded;

uint32_t wskrt_run(void (*entry)(void*), void* argument) {
  sigjmp_buf here;
  sigjmp_buf* const outer = current_run;
  const wasm_rt_memory_t* const outer_guarded = guarded;
  /* Saves the signal mask: a trap may come from the fault handler. */
  if (sigsetjmp(here, 1) == 0) {
    current_run = &here;
    entry(argument);
    current_run = outer;
    guarded = outer_guarded;
    return WASM_RT_TRAP_NONE;
  }
  current_run = outer;
  guarded = outer_guarded;
  return last_trap;
}

WASM_RT_NO_RETURN static void trap_detail(wasm_rt_trap_t code, uint64_t a, uint64_t b) {
  /* A trap outside any wskrt_run is a host bug: every entry into a module goes through it. */
  if (current_run == NULL || code == WASM_RT_TRAP_NONE) abort();
  last_trap = code;
  detail_a = a;
  detail_b = b;
  siglongjmp(*current_run, 1);
}

void wasm_rt_trap(wasm_rt_trap_t code) { trap_detail(code, 0, 0); }

void wskrt_trap_details(uint64_t* a, uint64_t* b) {
  *a = detail_a;
  *b = detail_b;
}

bool wasm_rt_is_initialized(void) { return true; }

/* MARK: Function types
 * One process-wide registry, so a type id means the same signature in every
 * module. Registration happens once per loaded module, under the lock. */

typedef struct {
  uint32_t params, results;
  uint8_t* types;
} func_type;

static pthread_mutex_t types_lock = PTHREAD_MUTEX_INITIALIZER;
static func_type* types;
static uint32_t type_count;

static uint32_t register_func_type(uint32_t params, uint32_t results, va_list args) {
  uint32_t count = params + results;
  uint8_t* signature = malloc(count ? count : 1);
  if (signature == NULL) trap_detail(WSKRT_TRAP_NO_MEMORY, 0, 0);
  for (uint32_t i = 0; i < count; i++) signature[i] = (uint8_t)va_arg(args, int);

  pthread_mutex_lock(&types_lock);
  uint32_t id = 0;
  for (uint32_t i = 0; i < type_count && id == 0; i++) {
    if (types[i].params == params && types[i].results == results && memcmp(types[i].types, signature, count) == 0)
      id = i + 1;
  }
  if (id == 0) {
    func_type* grown = realloc(types, (type_count + 1) * sizeof(func_type));
    if (grown != NULL) {
      types = grown;
      types[type_count] = (func_type){params, results, signature};
      id = ++type_count;
      signature = NULL;
    }
  }
  pthread_mutex_unlock(&types_lock);
  free(signature);
  if (id == 0) trap_detail(WSKRT_TRAP_NO_MEMORY, 0, 0);
  return id;
}

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  va_list args;
  va_start(args, results);
  uint32_t id = register_func_type(params, results, args);
  va_end(args);
  return id;
}

uint32_t wskrt_func_type(uint32_t id, uint32_t* params, uint32_t* results, uint8_t* out, uint32_t capacity) {
  pthread_mutex_lock(&types_lock);
  bool known = id >= 1 && id <= type_count;
  if (known) {
    func_type type = types[id - 1];
    *params = type.params;
    *results = type.results;
    uint32_t count = type.params + type.results;
    memcpy(out, type.types, count < capacity ? count : capacity);
  }
  pthread_mutex_unlock(&types_lock);
  return known ? id : 0;
}

/* MARK: Guard pages
 * A fault on this thread inside the reservation of the memory it runs Wasm
 * code on is an out-of-bounds access: it becomes a trap. Any other fault is
 * passed to the handler there was before (WasmKit's, Swift's, the default). */

static struct sigaction previous_segv, previous_bus;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;

static void pass_on(int signal, siginfo_t* info, void* context) {
  const struct sigaction* previous = signal == SIGSEGV ? &previous_segv : &previous_bus;
  if (previous->sa_flags & SA_SIGINFO) {
    previous->sa_sigaction(signal, info, context);
  } else if (previous->sa_handler != SIG_DFL && previous->sa_handler != SIG_IGN) {
    previous->sa_handler(signal);
  } else {
    /* The default action: returning retries the access, which then ends the process. */
    struct sigaction fallback = {.sa_handler = SIG_DFL};
    sigaction(signal, &fallback, NULL);
  }
}

static void on_fault(int signal, siginfo_t* info, void* context) {
  const wasm_rt_memory_t* memory = guarded;
  uintptr_t address = (uintptr_t)info->si_addr;
  if (current_run != NULL && memory != NULL && address - (uintptr_t)memory->data < memory->reserved) {
    last_trap = WASM_RT_TRAP_OOB;
    detail_a = detail_b = 0;
    siglongjmp(*current_run, 1);
  }
  pass_on(signal, info, context);
}

static void install_fault_handler(void) {
  struct sigaction action = {.sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_ONSTACK};
  sigemptyset(&action.sa_mask);
  sigaction(SIGSEGV, &action, &previous_segv);
  sigaction(SIGBUS, &action, &previous_bus);
}

static void guard(const wasm_rt_memory_t* memory) { guarded = memory; }

/* MARK: Accounting
 * Every byte of a memory or table is charged to the actor's account before it
 * is allocated and given back when it is freed (or its allocation failed). */

static uint32_t charge(const wskrt_config* owner, uint64_t bytes) {
  if (bytes > INT64_MAX) return WSKRT_REFUSED_ACTOR_LIMIT;
  return owner->charge(owner->account, (int64_t)bytes);
}

static void give_back(const wskrt_config* owner, uint64_t bytes) {
  if (bytes > 0) owner->charge(owner->account, -(int64_t)bytes);
}

/* MARK: Linear memory
 * A reservation of max_pages (at most the actor's limit), or of 8 GiB with
 * guard pages, inaccessible; the first `pages` are made readable and
 * writable, and growing opens more. The data never moves, and an access past
 * `size` faults instead of reaching other memory. The `size` bytes are
 * charged; the reservation, never touched, is not. */

static uint64_t reservation(uint32_t max_pages) {
  uint64_t bytes = (uint64_t)max_pages * PAGE_SIZE;
  return bytes ? bytes : PAGE_SIZE;
}

static void allocate_memory(wasm_rt_memory_t* memory, uint32_t initial, uint32_t max, const wskrt_config* owner,
                            bool guarded_pages) {
  memory->data = NULL;
  memory->owner = owner;
  uint32_t limit = owner->memory_limit_pages;
  if (initial > limit) trap_detail(WSKRT_TRAP_MEMORY_LIMIT, (uint64_t)initial * PAGE_SIZE, 0);
  if (max > limit) max = limit;
  uint64_t bytes = (uint64_t)initial * PAGE_SIZE;
  uint32_t refusal = charge(owner, bytes);
  if (refusal != WSKRT_CHARGED) trap_detail(WSKRT_TRAP_OUT_OF_MEMORY, refusal, bytes);
  if (guarded_pages) pthread_once(&handler_once, install_fault_handler);
  uint64_t reserved = guarded_pages ? GUARDED_RESERVATION : reservation(max);
  void* data = mmap(NULL, reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (data != MAP_FAILED && initial > 0 && mprotect(data, bytes, PROT_READ | PROT_WRITE) != 0) {
    munmap(data, reserved);
    data = MAP_FAILED;
  }
  if (data == MAP_FAILED) {
    give_back(owner, bytes);
    trap_detail(WSKRT_TRAP_NO_MEMORY, 0, 0);
  }
  memory->data = data;
  memory->reserved = reserved;
  memory->max_pages = max;
  memory->pages = initial;
  memory->size = bytes;
}

/* Fails (-1, as memory.grow says it) past the maximum, when the account
 * refuses the pages, or when the system cannot commit them. */
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* memory, uint32_t delta) {
  uint32_t old_pages = memory->pages;
  uint64_t new_pages = (uint64_t)old_pages + delta;
  if (new_pages > memory->max_pages) return UINT32_MAX;
  if (delta == 0) return old_pages;
  uint64_t bytes = (uint64_t)delta * PAGE_SIZE;
  if (charge(memory->owner, bytes) != WSKRT_CHARGED) return UINT32_MAX;
  if (mprotect(memory->data + memory->size, bytes, PROT_READ | PROT_WRITE) != 0) {
    give_back(memory->owner, bytes);
    return UINT32_MAX;
  }
  memory->pages = (uint32_t)new_pages;
  memory->size = new_pages * PAGE_SIZE;
  return old_pages;
}

void wasm_rt_free_memory(wasm_rt_memory_t* memory) {
  if (memory->data == NULL) return;
  munmap(memory->data, memory->reserved);
  memory->data = NULL;
  give_back(memory->owner, memory->size);
  memory->pages = 0;
  memory->size = 0;
}

/* MARK: Tables
 * `size` elements, each charged at its real size. */

#define DEFINE_TABLE(type)                                                                                  \
  static void allocate_##type##_table(wasm_rt_##type##_table_t* table, uint32_t initial, uint32_t max,    \
                                      const wskrt_config* owner) {                                        \
    table->data = NULL;                                                                                   \
    table->size = 0;                                                                                      \
    table->owner = owner;                                                                                 \
    uint32_t limit = owner->table_limit;                                                                  \
    if (initial > limit) trap_detail(WSKRT_TRAP_TABLE_LIMIT, initial, 0);                                 \
    table->max_size = max < limit ? max : limit;                                                          \
    uint64_t bytes = (uint64_t)initial * sizeof(wasm_rt_##type##_t);                                      \
    uint32_t refusal = charge(owner, bytes);                                                              \
    if (refusal != WSKRT_CHARGED) trap_detail(WSKRT_TRAP_OUT_OF_MEMORY, refusal, bytes);                  \
    table->data = calloc(initial ? initial : 1, sizeof(wasm_rt_##type##_t));                              \
    if (table->data == NULL) {                                                                            \
      give_back(owner, bytes);                                                                            \
      trap_detail(WSKRT_TRAP_NO_MEMORY, 0, 0);                                                            \
    }                                                                                                     \
    table->size = initial;                                                                                \
  }                                                                                                       \
  uint32_t wasm_rt_grow_##type##_table(wasm_rt_##type##_table_t* table, uint32_t delta,                   \
                                       wasm_rt_##type##_t init) {                                         \
    uint32_t old_size = table->size;                                                                      \
    uint64_t new_size = (uint64_t)old_size + delta;                                                       \
    if (new_size > table->max_size) return UINT32_MAX;                                                    \
    if (delta == 0) return old_size;                                                                      \
    uint64_t bytes = (uint64_t)delta * sizeof(wasm_rt_##type##_t);                                        \
    if (charge(table->owner, bytes) != WSKRT_CHARGED) return UINT32_MAX;                                  \
    wasm_rt_##type##_t* data = realloc(table->data, new_size * sizeof(wasm_rt_##type##_t));               \
    if (data == NULL) {                                                                                   \
      give_back(table->owner, bytes);                                                                     \
      return UINT32_MAX;                                                                                  \
    }                                                                                                     \
    for (uint64_t i = old_size; i < new_size; i++) data[i] = init;                                        \
    table->data = data;                                                                                   \
    table->size = (uint32_t)new_size;                                                                     \
    return old_size;                                                                                      \
  }                                                                                                       \
  void wasm_rt_free_##type##_table(wasm_rt_##type##_table_t* table) {                                     \
    if (table->data == NULL) return;                                                                      \
    free(table->data);                                                                                    \
    table->data = NULL;                                                                                   \
    give_back(table->owner, (uint64_t)table->size * sizeof(wasm_rt_##type##_t));                          \
    table->size = 0;                                                                                      \
  }

DEFINE_TABLE(funcref)
DEFINE_TABLE(externref)

/* MARK: Ending an actor */

void wskrt_interrupt(void* instance) {
  wskrt_header* header = instance;
  __atomic_store_n(&header->fuel_floor, INT64_MAX, __ATOMIC_RELAXED);
}

/* MARK: Stack */

/* Leaves a quarter of the thread's stack, at most 1 MiB, below the Wasm frames
 * for host calls and for unwinding. */
static uintptr_t stack_limit(void) {
  pthread_attr_t attributes;
  void* low = NULL;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attributes) != 0) abort();
  pthread_attr_getstack(&attributes, &low, &size);
  pthread_attr_destroy(&attributes);
  size_t margin = size / 4 < (1u << 20) ? size / 4 : (1u << 20);
  return (uintptr_t)low + margin;
}

/* MARK: The table for modules */

static const wskrt_api api = {
    .version = WSKRT_API_VERSION,
    .size = sizeof(wskrt_api),
    .trap = wasm_rt_trap,
    .trap_detail = trap_detail,
    .register_func_type = register_func_type,
    .allocate_memory = allocate_memory,
    .grow_memory = wasm_rt_grow_memory,
    .free_memory = wasm_rt_free_memory,
    .allocate_funcref_table = allocate_funcref_table,
    .grow_funcref_table = wasm_rt_grow_funcref_table,
    .free_funcref_table = wasm_rt_free_funcref_table,
    .allocate_externref_table = allocate_externref_table,
    .grow_externref_table = wasm_rt_grow_externref_table,
    .free_externref_table = wasm_rt_free_externref_table,
    .stack_limit = stack_limit,
    .guard = guard,
};

const wskrt_api* wskrt_api_table(void) { return &api; }
