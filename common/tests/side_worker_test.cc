// SideWorker: a task runs beside the caller and is over when Wait returns.
#include "lintas/common/side_worker.h"

#include <atomic>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

namespace lintas {
namespace {

TEST(SideWorkerTest, WaitReturnsOnlyOnceTheTaskHasRunAndDroppedWhatItHeld) {
  SideWorker worker("test-side");
  for (int i = 0; i < 1000; ++i) {
    int value = 0;
    auto held = std::make_shared<int>(i);
    std::weak_ptr<int> watch = held;
    worker.Start([&value, i, held = std::move(held)] { value = *held + i; });
    worker.Wait();
    ASSERT_EQ(value, 2 * i) << "round " << i;
    ASSERT_TRUE(watch.expired()) << "the task's captures outlived Wait, round " << i;
  }
}

TEST(SideWorkerTest, TheTaskRunsOnItsOwnThreadWhileTheCallerWorks) {
  SideWorker worker("test-side");
  std::atomic<bool> caller_done{false};
  std::atomic<bool> saw_caller{false};
  std::thread::id task_thread;
  // The task waits for the caller's work: were it run by Start or Wait on
  // the caller's thread, this would never finish.
  worker.Start([&] {
    task_thread = std::this_thread::get_id();
    while (!caller_done.load()) std::this_thread::yield();
    saw_caller = true;
  });
  caller_done = true;
  worker.Wait();
  EXPECT_TRUE(saw_caller.load());
  EXPECT_NE(task_thread, std::this_thread::get_id());
}

TEST(SideWorkerTest, ATaskStartedBeforeDestructionStillRuns) {
  std::atomic<bool> ran{false};
  {
    SideWorker worker("test-side");
    worker.Start([&] { ran = true; });
  }  // destroyed without Wait
  EXPECT_TRUE(ran.load());
}

}  // namespace
}  // namespace lintas
