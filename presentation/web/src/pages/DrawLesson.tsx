import { useNavigate } from "react-router";
import { useMutation } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import { Button } from "../components/ui";

/** Draws a lesson learned from a finding or a completed campaign in one step, then shows it. */
export function DrawLesson({ from, id }: { from: "finding" | "campaign"; id: string }) {
  const navigate = useNavigate();
  const draw = useMutation({
    mutationFn: () =>
      from === "finding"
        ? ok(api.POST("/api/v1/knowledge/lessons/from-finding/{id}", { params: { path: { id } } }))
        : ok(api.POST("/api/v1/knowledge/lessons/from-campaign/{id}", { params: { path: { id } } })),
    onSuccess: (lesson) => void navigate(`/knowledge?lesson=${lesson.id}`),
  });
  return (
    <>
      <Button tone="secondary" busy={draw.isPending} onClick={() => draw.mutate()}>
        Draw a lesson
      </Button>
      {draw.error && (
        <span role="alert" className="text-sm text-red-700">
          {draw.error.message}
        </span>
      )}
    </>
  );
}
