//! Comments on a test.

use super::*;

impl TestService {
    /// Adds a comment; anyone who works on tests may comment (viewers read).
    ///
    /// # Errors
    /// `Forbidden` for viewers, `Invalid` for an empty or huge body.
    pub async fn comment(
        &self,
        actor: &Actor,
        id: TestId,
        body: &str,
        context: &RequestContext,
    ) -> Result<Comment, TestError> {
        actor.authorize(Action::Comment)?;
        let mut fields = Vec::new();
        let body = required("body", body, 10_000, &mut fields);
        if !fields.is_empty() {
            return Err(TestError::Invalid(fields));
        }
        let uow = self.database.begin().await?;
        let (test, _) = self.load(uow.as_ref(), actor, id, None).await?;
        let comment = Comment {
            id: self.ids.new_id(),
            test_id: id,
            author: actor.user_id,
            body,
            created_at: self.clock.now(),
        };
        uow.insert_comment(actor.tenant_id, &comment).await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "test.commented",
            &test,
            serde_json::json!({"comment_id": comment.id}),
        )
        .await?;
        uow.commit().await?;
        Ok(comment)
    }
}
