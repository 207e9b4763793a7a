"""`bb.runqueue`: the run-queue event classes handlers test against."""

import bb.event


class runQueueEvent(bb.event.Event):
    pass


class sceneQueueEvent(runQueueEvent):
    pass


class runQueueTaskStarted(runQueueEvent):
    pass


class sceneQueueTaskStarted(sceneQueueEvent):
    pass


class runQueueTaskFailed(runQueueEvent):
    pass


class sceneQueueTaskFailed(sceneQueueEvent):
    pass


class sceneQueueComplete(sceneQueueEvent):
    pass


class runQueueTaskCompleted(runQueueEvent):
    pass


class sceneQueueTaskCompleted(sceneQueueEvent):
    pass


class runQueueTaskSkipped(runQueueEvent):
    pass


class runQueueExitWait(bb.event.Event):
    pass
