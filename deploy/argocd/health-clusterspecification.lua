-- Argo CD health check for kspec.io/ClusterSpecification.
--   Healthy      status.phase == "Active" and condition Ready == "True"
--   Degraded     status.phase == "Failed" (message from the Ready condition)
--   Progressing  anything else: no status yet, an older generation observed, Pending, or Ready not True
-- Kept in sync with argocd-cm-patch.yaml (test/deploy checks that both hold the same script).
local hs = {}
if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for kspec to reconcile the specification"
  return hs
end

local ready = nil
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" then
      ready = c
    end
  end
end

local function readyMessage(default)
  if ready ~= nil and ready.message ~= nil and ready.message ~= "" then
    return ready.message
  end
  return default
end

if obj.status.phase == "Failed" then
  hs.status = "Degraded"
  hs.message = readyMessage("The specification failed to reconcile")
  return hs
end

local generation = obj.metadata and obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and observed ~= nil and observed < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for kspec to observe generation " .. tostring(generation)
  return hs
end

if obj.status.phase == "Active" and ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = readyMessage("Active")
  return hs
end

hs.status = "Progressing"
hs.message = readyMessage("Phase " .. tostring(obj.status.phase or "unknown"))
return hs
