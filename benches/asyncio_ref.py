"""The docs/design.md §6 workloads in CPython's asyncio, for the reference columns of
benches/README.md: default task factory and asyncio.eager_task_factory.

Run: PYENV_VERSION=3.13.0 python benches/asyncio_ref.py

Prints the median over several rounds, in nanoseconds per task (per 1,000 yields for
yield_many, per call for all_tasks, per round trip for threadsafe_roundtrip), the same
units as benches/README.md.
"""

import asyncio
import statistics
import sys
import threading
import time

ROUNDS = 7


def median_ns(fn, per):
    samples = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - t0) / per)
    return statistics.median(samples)


def run(coro_fn, eager):
    async def main():
        if eager:
            asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
        return await coro_fn()

    return asyncio.run(main())


# ---- workloads (each returns after all tasks are done) -------------------------------

N_SPAWN = 10_000


async def spawn_many_local():
    done = asyncio.get_running_loop().create_future()
    rem = [N_SPAWN]

    async def task():
        rem[0] -= 1
        if rem[0] == 0:
            done.set_result(None)

    for _ in range(N_SPAWN):
        asyncio.create_task(task())
    await done


def spawn_many_remote_factory(eager):
    """Tasks submitted from a foreign thread with run_coroutine_threadsafe."""

    def bench():
        async def main():
            loop = asyncio.get_running_loop()
            if eager:
                loop.set_task_factory(asyncio.eager_task_factory)
            done = loop.create_future()
            rem = [N_SPAWN]

            async def task():
                rem[0] -= 1
                if rem[0] == 0:
                    done.set_result(None)

            def submit():
                for _ in range(N_SPAWN):
                    asyncio.run_coroutine_threadsafe(task(), loop)

            threading.Thread(target=submit).start()
            await done

        asyncio.run(main())

    return bench


YIELD_TASKS, YIELDS = 200, 1000


async def yield_many():
    async def task():
        for _ in range(YIELDS):
            await asyncio.sleep(0)

    await asyncio.gather(*(asyncio.create_task(task()) for _ in range(YIELD_TASKS)))


N_PINGS = 1000


async def ping_pong():
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    rem = [N_PINGS]

    async def pair():
        ping, pong = loop.create_future(), loop.create_future()

        async def other():
            await ping
            pong.set_result(None)

        asyncio.create_task(other())
        ping.set_result(None)
        await pong
        rem[0] -= 1
        if rem[0] == 0:
            done.set_result(None)

    for _ in range(N_PINGS):
        asyncio.create_task(pair())
    await done


CHAIN = 1000


async def chained_spawn():
    done = asyncio.get_running_loop().create_future()

    async def link(n):
        try:
            if n == 0:
                done.set_result(None)
            else:
                asyncio.create_task(link(n - 1))
        except RecursionError as e:
            # The eager factory runs each link inside its creator: 1,000 nested steps
            # overflow CPython's recursion limit.
            if not done.done():
                done.set_exception(e)

    asyncio.create_task(link(CHAIN))
    await done


N_SYNC = 100_000


async def sync_complete():
    done = asyncio.get_running_loop().create_future()
    rem = [N_SYNC]

    async def task(i):
        rem[0] -= 1
        if rem[0] == 0:
            done.set_result(None)
        return i

    for i in range(N_SYNC):
        asyncio.create_task(task(i))
    await done


N_CANCEL = 10_000


def cancel_storm_factory(eager):
    """Only the cancel phase is timed: cancel 10k pending tasks, wait until all done."""

    def bench_once():
        result = {}

        async def main():
            if eager:
                asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
            never = asyncio.get_running_loop().create_future()

            async def pending():
                await never

            tasks = [asyncio.create_task(pending()) for _ in range(N_CANCEL)]
            await asyncio.sleep(0)
            t0 = time.perf_counter_ns()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            result["ns"] = time.perf_counter_ns() - t0

        asyncio.run(main())
        return result["ns"] / N_CANCEL

    return lambda: statistics.median(bench_once() for _ in range(ROUNDS))


LIVE = 10_000


def all_tasks_factory(eager):
    def bench():
        result = {}

        async def main():
            if eager:
                asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
            never = asyncio.get_running_loop().create_future()

            async def pending():
                await never

            tasks = [asyncio.create_task(pending()) for _ in range(LIVE)]
            await asyncio.sleep(0)
            samples = []
            for _ in range(ROUNDS):
                t0 = time.perf_counter_ns()
                listed = asyncio.all_tasks()
                samples.append(time.perf_counter_ns() - t0)
                assert len(listed) >= LIVE
            result["ns"] = statistics.median(samples)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run(main())
        return result["ns"] / LIVE

    return bench


N_ROUNDTRIPS = 10_000


def threadsafe_factory(eager):
    def bench():
        loop = asyncio.new_event_loop()
        if eager:
            loop.set_task_factory(asyncio.eager_task_factory)
        t = threading.Thread(target=loop.run_forever)
        t.start()

        async def one():
            return 1

        samples = []
        for _ in range(ROUNDS):
            t0 = time.perf_counter_ns()
            for _ in range(N_ROUNDTRIPS):
                asyncio.run_coroutine_threadsafe(one(), loop).result()
            samples.append((time.perf_counter_ns() - t0) / N_ROUNDTRIPS)
        loop.call_soon_threadsafe(loop.stop)
        t.join()
        loop.close()
        return statistics.median(samples)

    return bench


def main():
    print(f"CPython {sys.version.split()[0]}, {ROUNDS} rounds, medians")
    print(f"{'workload':28} {'default':>12} {'eager factory':>14}")
    rows = [
        ("spawn_many_local (ns/task)", lambda e: median_ns(lambda: run(spawn_many_local, e), N_SPAWN)),
        ("spawn_many_remote (ns/task)", lambda e: median_ns(spawn_many_remote_factory(e), N_SPAWN)),
        ("yield_many (ns/1000 yields)", lambda e: median_ns(lambda: run(yield_many, e), YIELD_TASKS)),
        ("ping_pong (ns/pair)", lambda e: median_ns(lambda: run(ping_pong, e), N_PINGS)),
        ("chained_spawn (ns/task)", lambda e: median_ns(lambda: run(chained_spawn, e), CHAIN)),
        ("sync_complete (ns/task)", lambda e: median_ns(lambda: run(sync_complete, e), N_SYNC)),
        ("cancel_storm (ns/task)", lambda e: cancel_storm_factory(e)()),
        ("all_tasks 10k (ns/task)", lambda e: all_tasks_factory(e)()),
        ("threadsafe_roundtrip (ns)", lambda e: threadsafe_factory(e)()),
    ]
    for name, fn in rows:
        cells = []
        for eager in (False, True):
            try:
                cells.append(f"{fn(eager):12,.0f}")
            except RecursionError:
                cells.append(f"{'RecursionError':>12}")
        print(f"{name:28} {cells[0]:>12} {cells[1]:>14}")


if __name__ == "__main__":
    main()
