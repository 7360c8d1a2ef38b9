-- Argo CD health check for the dect-operator kinds DectBase and Handset
-- (provisioning.dect-operator.dev). One script serves both: their status has the same
-- shape, observedGeneration plus the kstatus conditions Ready, Reconciling and Stalled,
-- and the domain condition Delivered. Argo CD's built-in checks are one file per kind,
-- so the same file is kept as DectBase/health.lua and Handset/health.lua.
--
-- It follows kstatus, the status model Flux uses:
--   no status yet, or status.observedGeneration ~= metadata.generation  -> Progressing
--   Stalled=True (a problem that needs a person)                        -> Degraded
--   Reconciling=True                                                    -> Progressing
--   Ready=False or Unknown without Stalled, or no Ready yet             -> Progressing
--   Ready=True for the current generation                               -> Healthy
-- Delivered (has the device fetched the current file?) only adds to the message: a
-- device that has not fetched yet is the normal state until it does, not a fault.
--
-- Argo CD runs scripts from argocd-cm with only its base and table libraries, so this
-- script uses no string.* functions.

local function findCondition(conditions, conditionType)
  if conditions == nil then
    return nil
  end
  for _, condition in ipairs(conditions) do
    if condition.type == conditionType then
      return condition
    end
  end
  return nil
end

local function describe(condition, fallback)
  if condition == nil then
    return fallback
  end
  local text = ""
  if condition.reason ~= nil and condition.reason ~= "" then
    text = condition.reason
  end
  if condition.message ~= nil and condition.message ~= "" then
    if text ~= "" then
      text = text .. ": "
    end
    text = text .. condition.message
  end
  if text == "" then
    return fallback
  end
  return text
end

local hs = {}
local kind = obj.kind
if kind == nil then
  kind = "object"
end

if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = kind .. " is being deleted"
  return hs
end

local status = obj.status
if status == nil or status.observedGeneration == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile this " .. kind
  return hs
end

local generation = 0
if obj.metadata ~= nil and obj.metadata.generation ~= nil then
  generation = obj.metadata.generation
end
if status.observedGeneration ~= generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. generation ..
    " (the status describes generation " .. status.observedGeneration .. ")"
  return hs
end

local conditions = status.conditions

local stalled = findCondition(conditions, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled, kind .. " is stalled")
  return hs
end

local reconciling = findCondition(conditions, "Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = describe(reconciling, "Reconciling")
  return hs
end

local ready = findCondition(conditions, "Ready")
if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report the Ready condition"
  return hs
end
if ready.status ~= "True" then
  hs.status = "Progressing"
  hs.message = describe(ready, "Not ready yet")
  return hs
end

hs.status = "Healthy"
hs.message = describe(ready, "Ready")
local delivered = findCondition(conditions, "Delivered")
if delivered ~= nil and delivered.status ~= "True" then
  hs.message = hs.message .. "; not delivered yet: " .. describe(delivered, "the device has not fetched it")
end
return hs
