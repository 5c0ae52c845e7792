-- Argo CD health check for esignet.openg2p.org/ESignetRelyingParty (esignet-operator).
--
-- The operator reports kstatus-style status (sigs.k8s.io/cli-utils pkg/kstatus): status.observedGeneration
-- and the conditions Ready, Reconciling and Stalled (metav1.Condition). The first matching rule wins:
--   1. metadata.deletionTimestamp set -> Progressing "Deleting: <Ready reason>: <Ready message>"
--      (the finalizer deactivates the client at eSignet; Ready reason Deactivating while it retries).
--      Checked before rule 2 because the API server bumps metadata.generation when it sets the timestamp.
--   2. no status, or status.observedGeneration < metadata.generation
--      -> Progressing "Waiting for the operator to observe generation N"
--   3. Stalled=True -> Degraded "<Stalled reason>: <Stalled message>" (only a person can fix it)
--   4. Ready=True and spec.active == false -> Suspended (the client is deliberately INACTIVE at eSignet)
--   5. Ready=True -> Healthy "<Ready reason>: <Ready message>"
--   6. Reconciling=True, or Ready False/Unknown -> Progressing "<Ready reason>: <Ready message>"
--      (the Reconciling condition's reason and message when there is no Ready condition)
--   7. anything else -> Progressing "Waiting for the operator to report Ready"
--
-- Written for Argo CD's argocd-cm sandbox (resource.customizations.useOpenLibs unset): only the base,
-- package and table libraries are open, so no string.* or math.* calls; `..`, tostring, tonumber, ipairs.
-- Keep in sync with config/argocd/argocd-cm-health.yaml (go test ./test/argocd checks it).

local function findCondition(conditions, conditionType)
  if type(conditions) ~= "table" then
    return nil
  end
  for _, condition in ipairs(conditions) do
    if condition.type == conditionType then
      return condition
    end
  end
  return nil
end

local function isTrue(condition)
  return condition ~= nil and condition.status == "True"
end

-- "<reason>: <message>", either part alone when the other is empty, "" for no condition.
local function describe(condition)
  if condition == nil then
    return ""
  end
  local reason = ""
  local message = ""
  if condition.reason ~= nil then
    reason = tostring(condition.reason)
  end
  if condition.message ~= nil then
    message = tostring(condition.message)
  end
  if reason ~= "" and message ~= "" then
    return reason .. ": " .. message
  end
  return reason .. message
end

local hs = {}
local metadata = obj.metadata or {}
local status = obj.status
local conditions = nil
if type(status) == "table" then
  conditions = status.conditions
end
local ready = findCondition(conditions, "Ready")

if metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Deleting"
  if describe(ready) ~= "" then
    hs.message = "Deleting: " .. describe(ready)
  end
  return hs
end

local generation = tonumber(metadata.generation)
if type(status) ~= "table" then
  hs.status = "Progressing"
  if generation ~= nil then
    hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  else
    hs.message = "Waiting for the operator to report status"
  end
  return hs
end
local observed = tonumber(status.observedGeneration) or 0
if generation ~= nil and observed < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local stalled = findCondition(conditions, "Stalled")
if isTrue(stalled) then
  hs.status = "Degraded"
  hs.message = describe(stalled)
  return hs
end

if isTrue(ready) then
  if obj.spec ~= nil and obj.spec.active == false then
    hs.status = "Suspended"
    hs.message = "spec.active is false: the client is INACTIVE at eSignet"
    return hs
  end
  hs.status = "Healthy"
  hs.message = describe(ready)
  return hs
end

local reconciling = findCondition(conditions, "Reconciling")
if isTrue(reconciling) or ready ~= nil then
  hs.status = "Progressing"
  if ready ~= nil then
    hs.message = describe(ready)
  else
    hs.message = describe(reconciling)
  end
  return hs
end

hs.status = "Progressing"
hs.message = "Waiting for the operator to report Ready"
return hs
