/// The BullMQ release whose Redis layout and script semantics this module reproduces (see
/// docs/BULLMQ.md); Python `bullmq` 3.x ships the same scripts.
public enum BullMQLayout {
    public static let version = "6.2.0"
    /// What our workers write to the queue's `meta.version`, in the form BullMQ's own queues use
    /// (`bullmq:<version>`), so dashboards know which layout and features to expect.
    public static let metaVersion = "bullmq:" + version
}
