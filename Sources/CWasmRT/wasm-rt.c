/*
 * The host side of wskdesk's Wasm runtime: traps with per-thread state,
 * function types, linear memories and tables with the actor's limits, the
 * stack limit of the calling thread, and (for modules built with guard
 * pages) the signal handler that turns their faults into traps. See wskrt.h.
 */
#define _GNU_SOURCE
#include "wskrt.h"

#include <dlfcn.h>
#include <link.h>
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
/* Why a limit last refused a memory.grow (wskrt_memory_refusal). */
static _Thread_local uint32_t memory_refusal;

static void prepare_thread(void);

uint32_t wskrt_run(void (*entry)(void*), void* argument) {
  prepare_thread();
  sigjmp_buf here;
  sigjmp_buf* const outer = current_run;
  const wasm_rt_memory_t* const outer_guarded = guarded;
  if (outer == NULL) memory_refusal = WSKRT_CHARGED;
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

uint32_t wskrt_memory_refusal(void) { return memory_refusal; }

uint32_t wskrt_backtrace(const void* instance, uint32_t* indices, uint32_t capacity) {
  const wskrt_header* header = instance;
  uint32_t depth = header->depth;
  for (uint32_t n = 0; n < capacity && n < depth && n < WSKRT_FRAMES; n++)
    indices[n] = header->frames[(depth - 1 - n) % WSKRT_FRAMES];
  return depth;
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

static bool is_stack_overflow(uintptr_t address, const ucontext_t* context);

static void on_fault(int signal, siginfo_t* info, void* context) {
  const wasm_rt_memory_t* memory = guarded;
  uintptr_t address = (uintptr_t)info->si_addr;
  if (current_run != NULL && memory != NULL && address - (uintptr_t)memory->data < memory->reserved) {
    last_trap = WASM_RT_TRAP_OOB;
    detail_a = detail_b = 0;
    siglongjmp(*current_run, 1);
  }
  if (current_run != NULL && signal == SIGSEGV && is_stack_overflow(address, context)) {
    last_trap = WASM_RT_TRAP_EXHAUSTION;
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
  const uint32_t declared_max = max;
  if (max > limit) max = limit;
  uint64_t bytes = (uint64_t)initial * PAGE_SIZE;
  uint32_t refusal = charge(owner, bytes);
  if (refusal != WSKRT_CHARGED) trap_detail(WSKRT_TRAP_OUT_OF_MEMORY, refusal, bytes);
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
  memory->declared_max_pages = declared_max;
  memory->max_pages = max;
  memory->pages = initial;
  memory->size = bytes;
}

/* Fails (-1, as memory.grow says it) past the maximum, when the account
 * refuses the pages, or when the system cannot commit them. A limit's
 * refusal is noted for the report of a trap that may follow. */
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* memory, uint32_t delta) {
  uint32_t old_pages = memory->pages;
  uint64_t new_pages = (uint64_t)old_pages + delta;
  if (new_pages > memory->max_pages) {
    if (new_pages <= memory->declared_max_pages) memory_refusal = WSKRT_REFUSED_MEMORY_LIMIT;
    return UINT32_MAX;
  }
  if (delta == 0) return old_pages;
  uint64_t bytes = (uint64_t)delta * PAGE_SIZE;
  uint32_t refusal = charge(memory->owner, bytes);
  if (refusal != WSKRT_CHARGED) {
    memory_refusal = refusal;
    return UINT32_MAX;
  }
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

/* This thread's stack: its lowest address and size, and the guard below it. */
static _Thread_local uintptr_t stack_low, stack_guard;
static _Thread_local size_t stack_size;

static void find_stack(void) {
  if (stack_low != 0) return;
  pthread_attr_t attributes;
  void* low = NULL;
  size_t size = 0, guard_size = 0;
  if (pthread_getattr_np(pthread_self(), &attributes) != 0) abort();
  pthread_attr_getstack(&attributes, &low, &size);
  pthread_attr_getguardsize(&attributes, &guard_size);
  pthread_attr_destroy(&attributes);
  stack_size = size;
  /* The main thread's guard is the kernel's gap (256 pages), not pthread's. */
  stack_guard = guard_size > (1u << 20) ? guard_size : (1u << 20);
  stack_low = (uintptr_t)low;
}

/* Leaves a quarter of the thread's stack, at most 1 MiB, below the Wasm frames
 * for host calls and for unwinding. Called by each module's wsk_start, so its
 * caller tells which module runs on this thread (see is_stack_overflow). */
static _Thread_local uintptr_t module_start, module_end;
static void note_module(const void* code);

static uintptr_t stack_limit(void) {
  note_module(__builtin_return_address(0));
  find_stack();
  size_t margin = stack_size / 4 < (1u << 20) ? stack_size / 4 : (1u << 20);
  return stack_low + margin;
}

/* The address range of the loaded object holding `code`: a module's shared
 * object. Outside a signal handler (dladdr and dl_iterate_phdr take locks). */
typedef struct {
  uintptr_t base, start, end;
} object_range;

static int find_range(struct dl_phdr_info* info, size_t size, void* data) {
  (void)size;
  object_range* range = data;
  if (info->dlpi_addr != range->base) return 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)* header = &info->dlpi_phdr[i];
    if (header->p_type != PT_LOAD || !(header->p_flags & PF_X)) continue;
    uintptr_t start = info->dlpi_addr + header->p_vaddr;
    if (range->start == 0 || start < range->start) range->start = start;
    if (start + header->p_memsz > range->end) range->end = start + header->p_memsz;
  }
  return 1;
}

static void note_module(const void* code) {
  Dl_info found;
  object_range range = {0, 0, 0};
  if (dladdr(code, &found) != 0) {
    range.base = (uintptr_t)found.dli_fbase;
    dl_iterate_phdr(find_range, &range);
  }
  module_start = range.start;
  module_end = range.end;
}

/* A native stack overflow in a module's own code: a SIGSEGV just below this
 * thread's stack (in its guard) while the instruction that faulted is in the
 * module running on the thread. A Wasm function's frame is checked against
 * stack_limit at its entry, but a frame larger than the margin faults in its
 * prologue, before the check. A fault in any other code (the host's, during a
 * host call) is not the module's and is passed on: unwinding would skip host
 * frames that may hold locks. */
static bool is_stack_overflow(uintptr_t address, const ucontext_t* context) {
  if (stack_low == 0 || module_start == 0) return false;
  if (address >= stack_low + 4096 || address < stack_low - stack_guard) return false;
#if defined(__x86_64__)
  uintptr_t pc = (uintptr_t)context->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
  uintptr_t pc = (uintptr_t)context->uc_mcontext.pc;
#else
  uintptr_t pc = 0;
#endif
  return pc >= module_start && pc < module_end;
}

/* MARK: The alternate signal stack
 * The fault handler runs with SA_ONSTACK: on a thread whose own stack is
 * exhausted it needs another one, or the kernel kills the process. Each
 * thread that runs Wasm gets one at its first wskrt_run, kept until the
 * thread ends (a key destructor frees it). A thread that already has one
 * (its creator set it) keeps that. */

#define ALT_STACK_SIZE (64u << 10)
static pthread_key_t alt_stack_key;
static pthread_once_t alt_stack_once = PTHREAD_ONCE_INIT;
static _Thread_local bool thread_prepared;

static void free_alt_stack(void* stack) {
  stack_t disable = {.ss_flags = SS_DISABLE};
  stack_t current;
  if (sigaltstack(NULL, &current) == 0 && current.ss_sp == (char*)stack + 4096) sigaltstack(&disable, NULL);
  munmap(stack, ALT_STACK_SIZE + 4096);
}

static void create_alt_stack_key(void) {
  if (pthread_key_create(&alt_stack_key, free_alt_stack) != 0) abort();
}

static void prepare_thread(void) {
  if (thread_prepared) return;
  thread_prepared = true;
  pthread_once(&handler_once, install_fault_handler);
  pthread_once(&alt_stack_once, create_alt_stack_key);
  find_stack();
  stack_t current;
  if (sigaltstack(NULL, &current) != 0 || !(current.ss_flags & SS_DISABLE)) return;
  /* A guard page below it: an overflowing handler faults instead of writing past it. */
  char* stack = mmap(NULL, ALT_STACK_SIZE + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return;
  mprotect(stack, 4096, PROT_NONE);
  stack_t alternate = {.ss_sp = stack + 4096, .ss_size = ALT_STACK_SIZE, .ss_flags = 0};
  if (sigaltstack(&alternate, NULL) != 0 || pthread_setspecific(alt_stack_key, stack) != 0) {
    stack_t disable = {.ss_flags = SS_DISABLE};
    sigaltstack(&disable, NULL);
    munmap(stack, ALT_STACK_SIZE + 4096);
  }
}

/* For tests: a native stack overflow inside wskrt_run on the calling thread,
 * as a module's frame too large for the stack margin would cause, which
 * Wasm code compiled with the stack check cannot easily provoke. Frames of
 * 1 KiB, each written, so the fault lands in the guard page (a larger frame
 * could jump over it). This function stands for the module's code. Returns
 * the trap; the thread goes on. */
static void overflow(void* depth) {
  volatile char frame[1024];
  frame[0] = (char)(uintptr_t)depth;
  overflow((char*)depth + 1);
  frame[1] = frame[0]; /* after the call: no tail call */
}

uint32_t wskrt_test_stack_overflow(void) {
  note_module((const void*)overflow);
  uint32_t trap = wskrt_run(overflow, NULL);
  module_start = module_end = 0;
  return trap;
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
