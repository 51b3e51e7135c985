"""Work queues for controllers (client-go's util/workqueue, in asyncio): de-duplicating, delaying,
rate-limited. A key is in the queue at most once; a key being processed is not handed out again
until ``done``, and a key added meanwhile is queued again after it."""
