/**
 * Git smart-HTTP for the owners' floxmeta repositories: authentication and the access rule in front
 * of JGit ({@link org.imageless.hub.git.GitAccessServlet}), the read filter that hides private
 * environments' branches ({@link org.imageless.hub.git.VisibleRefs}) and the push validation
 * ({@link org.imageless.hub.git.PushValidation}).
 *
 * <p>Why a push never leaves a half-written generation: JGit's {@code ReceivePack} first receives
 * the whole pack into a temporary file, indexes it and checks connectivity, then moves it into
 * {@code objects/pack} (objects nobody references yet), then runs the pre-receive validation, and
 * only then moves each branch with one compare-and-swap ref update (a {@code .lock} file renamed
 * over the ref, expecting the old id the client saw). A push that dies before the rename changes
 * no branch; what it leaves is unreferenced objects or a stale temporary file, which garbage
 * collection removes. Two pushes to the same branch race on that ref update: the second sees a
 * different old id (or the lock) and is rejected.
 */
package org.imageless.hub.git;
